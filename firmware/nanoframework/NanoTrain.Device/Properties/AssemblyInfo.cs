using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("NanoTrain.Device")]
[assembly: AssemblyDescription("On-device training for nanoFramework: the managed face of the nanoTrain engine")]
[assembly: AssemblyProduct("nanoTrain")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]

// The native methods' version (NT_NF_NATIVE_VERSION in native/nt_nf_device.h): nanoCLR refuses to run the assembly on
// firmware whose NanoTrain.Device stubs carry another one.
[assembly: AssemblyNativeVersion("1.0.0.0")]
