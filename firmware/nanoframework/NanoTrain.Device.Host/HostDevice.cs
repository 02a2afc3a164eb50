using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Native;

namespace NanoTrain.Device
{
    /// <summary>
    /// The board the net10.0 build of <see cref="Trainer"/> runs on: banks as large as a real board's (from its
    /// board.json), a plan buffer, and a weight store in memory that survives <see cref="Reset"/> as flash survives a
    /// reset. Host only; on a device the firmware's board port plays this part. Instruction counts are 0 here (the host
    /// counts none); elastic selection weighs costs in nanoseconds of the host's clock.
    /// </summary>
    public static class HostDevice
    {
        /// <summary>NT_NF_NATIVE_VERSION of the C side this build calls.</summary>
        internal const int NativeVersion = 1;

        /// <summary>Bytes kept for a plan (the firmware's plan slot).</summary>
        public const int PlanCapacity = 2 << 20;

        /// <summary>Bytes of each of the two weight slots (the emulated boards' slot size).</summary>
        public const int SlotBytes = 1 << 20;

        private static readonly object Gate = new();
        private static IntPtr _memory;
        private static IntPtr _store;
        private static BoardInfo _board;
        private static byte[] _attachedNames;
        private static uint[] _attachedBytes;

        /// <summary>The board attached (openmv-h7 unless <see cref="Attach(string)"/> chose another).</summary>
        public static BoardInfo Current
        {
            get
            {
                EnsureAttached();
                return _board;
            }
        }

        /// <summary>Attaches the board of firmware/boards/<paramref name="boardId"/>/board.json; saved weights are kept.</summary>
        public static void Attach(string boardId)
        {
            BoardDescriptor board = BoardCatalog.FromRepo(RepoPaths.Locate()).Get(boardId);
            var names = new string[board.Banks.Count];
            var bytes = new int[board.Banks.Count];
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = board.Banks[i].Name;
                bytes[i] = (int)board.Banks[i].Size;
            }
            Attach(new BoardInfo(board.Id, (int)board.ClockHz, (int)board.Flash.Size, names, bytes));
        }

        /// <summary>Attaches a board with these facts; saved weights are kept.</summary>
        public static void Attach(BoardInfo board)
        {
            ArgumentNullException.ThrowIfNull(board);
            lock (Gate)
            {
                NativeLibraryLoader.EnsureLoadedFor(typeof(HostDevice).Assembly);
                long total = PlanCapacity + 16;
                var names = new StringBuilder();
                var sizes = new uint[board.BankNames.Length];
                for (int i = 0; i < sizes.Length; i++)
                {
                    names.Append(board.BankNames[i]).Append('\0');
                    sizes[i] = (uint)board.BankFreeBytes[i];
                    total += (sizes[i] + 15) & ~15u;
                }
                unsafe
                {
                    if (_memory != IntPtr.Zero)
                    {
                        NativeMemory.AlignedFree((void*)_memory);
                    }
                    _memory = (IntPtr)NativeMemory.AlignedAlloc((nuint)total, 64);
                    if (_store == IntPtr.Zero)
                    {
                        _store = (IntPtr)NativeMemory.AllocZeroed((nuint)(2 * SlotBytes));
                    }
                }
                _attachedNames = Encoding.ASCII.GetBytes(names.ToString());
                _attachedBytes = sizes;
                _board = board;
                AttachNative();
            }
        }

        /// <summary>As a device reset: the plan stops, the saved weights stay.</summary>
        public static void Reset()
        {
            lock (Gate)
            {
                EnsureAttached();
                AttachNative();
            }
        }

        /// <summary>Erases both weight slots (a board fresh from the factory).</summary>
        public static void EraseWeights()
        {
            lock (Gate)
            {
                EnsureAttached();
                unsafe
                {
                    NativeMemory.Clear((void*)_store, (nuint)(2 * SlotBytes));
                }
            }
        }

        internal static void EnsureAttached()
        {
            if (_board == null)
            {
                Attach(BoardCatalog.DefaultBoard);
            }
        }

        private static unsafe void AttachNative()
        {
            fixed (byte* names = _attachedNames)
            fixed (uint* sizes = _attachedBytes)
            {
                int rc = HostAttach(_board.Id, names, (byte*)_memory, sizes, (uint)_attachedBytes.Length,
                    PlanCapacity, (byte*)_store, SlotBytes, (uint)_board.ClockHz, (uint)_board.FlashBytes);
                if (rc != 0)
                {
                    throw new InvalidDataException($"board {_board.Id}: {_attachedBytes.Length} banks; the device API takes 1 to 8");
                }
            }
        }

        [DllImport("ntengine", EntryPoint = "nt_nf_host_attach", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        private static extern unsafe int HostAttach(string boardId, byte* names, byte* memory, uint* bankBytes, uint nBanks,
            uint planCapacity, byte* store, uint slotBytes, uint clockHz, uint flashBytes);
    }
}
