using System;

namespace NanoTrain.Device
{
    /// <summary>
    /// Trains a model on the device, one sample at a time: load a plan made by <c>nanotrain plan</c> for this board,
    /// then <see cref="Train(byte[], int)"/> on each labelled sample, <see cref="Infer(byte[])"/> to classify, and
    /// <see cref="Save"/> to keep what was learned across resets. The math runs in the native engine (one call per
    /// step); this class only checks arguments and carries results. One plan runs per device: every Trainer drives it.
    /// </summary>
    /// <remarks>
    /// Samples are 8-bit images at the plan's input size (<see cref="Height"/> x <see cref="Width"/> x
    /// <see cref="Channels"/>, row by row): unsigned pixels 0..255, or signed ones -128..127 (pixel - 128), normalised
    /// on the device as the host tool trained the model.
    /// </remarks>
    public partial class Trainer
    {
        /// <summary>The native methods' version this assembly was written against (NT_NF_NATIVE_VERSION).</summary>
        public const int ExpectedNativeVersion = 1;

        /// <summary>Steps between two choices of the tensors to train under a speed target, unless told otherwise.</summary>
        public const int DefaultSelectionWindow = 20;

        /// <summary>Steps that measure every tensor's cost before the first choice under a speed target.</summary>
        public const int DefaultCalibrationSteps = 3;

        private readonly int[] _shape = new int[8];
        private readonly long[] _instructions = new long[5];
        private readonly float[] _loss = new float[1];
        private readonly byte[] _label = new byte[1];
        private readonly byte[] _prediction = new byte[1];
        private double _learningRate = 0.1;
        private double _speedTarget;

        /// <summary>Opens the device's trainer; a plan already running (loaded by another Trainer) stays.</summary>
        /// <exception cref="TrainerException">The firmware's native methods are another version than this assembly's.</exception>
        public Trainer()
        {
            int version = NativeVersion();
            if (version != ExpectedNativeVersion)
            {
                throw new TrainerException(TrainerStatus.Version, version, "the firmware's NanoTrain.Device native methods are version " + version.ToString() + ", this assembly needs " + ExpectedNativeVersion.ToString());
            }
        }

        /// <summary>The board this firmware runs on.</summary>
        public static BoardInfo Board
        {
            get
            {
                int[] numbers = new int[3 + 8];
                NativeBoardNumbers(numbers);
                int banks = numbers[2];
                string[] names = new string[banks];
                int[] bytes = new int[banks];
                for (int i = 0; i < banks; i++)
                {
                    names[i] = NativeBankName(i);
                    bytes[i] = numbers[3 + i];
                }

                return new BoardInfo(NativeBoardId(), numbers[0], numbers[1], names, bytes);
            }
        }

        /// <summary>True while a plan runs.</summary>
        public bool IsLoaded
        {
            get { return NativePlanShape(_shape) == (int)TrainerStatus.Ok; }
        }

        /// <summary>Samples per step of the running plan (1 for plans the tool makes by default).</summary>
        public int Batch
        {
            get { return Shape(0); }
        }

        /// <summary>Input height in pixels.</summary>
        public int Height
        {
            get { return Shape(1); }
        }

        /// <summary>Input width in pixels.</summary>
        public int Width
        {
            get { return Shape(2); }
        }

        /// <summary>Input channels (1 for grey images).</summary>
        public int Channels
        {
            get { return Shape(3); }
        }

        /// <summary>Bytes of one sample: <see cref="Height"/> x <see cref="Width"/> x <see cref="Channels"/>.</summary>
        public int SampleLength
        {
            get { return Shape(1) * Shape(2) * Shape(3); }
        }

        /// <summary>Classes the model tells apart; labels run from 0 to Classes - 1.</summary>
        public int Classes
        {
            get { return Shape(4); }
        }

        /// <summary>True when the running plan has a training section (a plan for inference alone has none).</summary>
        public bool CanTrain
        {
            get { return Shape(5) != 0; }
        }

        /// <summary>True when the plan reserves elastic selection's workspace, so <see cref="SetSpeedTarget(double)"/> works.</summary>
        public bool SupportsSpeedTarget
        {
            get { return Shape(6) != 0; }
        }

        /// <summary>Training steps since the plan started.</summary>
        public int Steps
        {
            get { return Shape(7); }
        }

        /// <summary>The SGD learning rate of each step, in [0, 16]; 0.1 unless set.</summary>
        public double LearningRate
        {
            get
            {
                return _learningRate;
            }

            set
            {
                if (!(value >= 0 && value <= 16))
                {
                    throw new ArgumentOutOfRangeException("value", "the learning rate must lie in [0, 16]");
                }

                _learningRate = value;
            }
        }

        /// <summary>The share of a full step's cost each step may take (0: every parameter trains).</summary>
        public double SpeedTarget
        {
            get { return _speedTarget; }
        }

        /// <summary>
        /// Starts a plan (the bytes of a .ntplan file made for this board). Its memory spaces are placed in the board's
        /// banks and the newest weights saved for this very plan, if any, are restored. A plan that fails leaves no
        /// plan running.
        /// </summary>
        /// <param name="plan">The plan file's bytes.</param>
        /// <exception cref="ArgumentNullException">plan is null.</exception>
        /// <exception cref="TrainerException">The plan does not load, is for another board, or does not fit its banks.</exception>
        public void LoadPlan(byte[] plan)
        {
            if (plan == null)
            {
                throw new ArgumentNullException("plan");
            }

            int[] where = new int[2];
            int status = NativeLoad(plan, where);
            _speedTarget = 0;
            if (status != (int)TrainerStatus.Ok)
            {
                throw new TrainerException((TrainerStatus)status, where[0], NativeLastDetail());
            }
        }

        /// <summary>Stops the running plan; what was saved stays saved.</summary>
        public void Unload()
        {
            NativeUnload();
            _speedTarget = 0;
        }

        /// <summary>One training step on an image of unsigned pixels (0..255) and its label.</summary>
        /// <param name="sample"><see cref="SampleLength"/> pixels.</param>
        /// <param name="label">The sample's class, 0 to <see cref="Classes"/> - 1.</param>
        /// <returns>The step's status, loss, prediction and instruction counts.</returns>
        /// <exception cref="ArgumentException">The sample is null or not <see cref="SampleLength"/> long, or the label is out of range.</exception>
        /// <exception cref="TrainerException">No plan runs, it does not train, or its batch is not 1.</exception>
        public TrainResult Train(byte[] sample, int label)
        {
            CheckSample(sample == null, sample == null ? 0 : sample.Length, label, true);
            return Step(sample, null, label);
        }

        /// <summary>One training step on an image of signed pixels (-128..127, pixel - 128) and its label.</summary>
        /// <param name="sample"><see cref="SampleLength"/> pixels.</param>
        /// <param name="label">The sample's class, 0 to <see cref="Classes"/> - 1.</param>
        /// <returns>The step's status, loss, prediction and instruction counts.</returns>
        /// <exception cref="ArgumentException">The sample is null or not <see cref="SampleLength"/> long, or the label is out of range.</exception>
        /// <exception cref="TrainerException">No plan runs, it does not train, or its batch is not 1.</exception>
        public TrainResult Train(sbyte[] sample, int label)
        {
            CheckSample(sample == null, sample == null ? 0 : sample.Length, label, true);
            return Step(null, sample, label);
        }

        /// <summary>Classifies an image of unsigned pixels (0..255).</summary>
        /// <param name="sample"><see cref="SampleLength"/> pixels.</param>
        /// <returns>The predicted class, the logits and the forward pass's instructions.</returns>
        /// <exception cref="ArgumentException">The sample is null or not <see cref="SampleLength"/> long.</exception>
        /// <exception cref="TrainerException">No plan runs, or its batch is not 1.</exception>
        public InferResult Infer(byte[] sample)
        {
            CheckSample(sample == null, sample == null ? 0 : sample.Length, 0, false);
            return Forward(sample, null);
        }

        /// <summary>Classifies an image of signed pixels (-128..127, pixel - 128).</summary>
        /// <param name="sample"><see cref="SampleLength"/> pixels.</param>
        /// <returns>The predicted class, the logits and the forward pass's instructions.</returns>
        /// <exception cref="ArgumentException">The sample is null or not <see cref="SampleLength"/> long.</exception>
        /// <exception cref="TrainerException">No plan runs, or its batch is not 1.</exception>
        public InferResult Infer(sbyte[] sample)
        {
            CheckSample(sample == null, sample == null ? 0 : sample.Length, 0, false);
            return Forward(null, sample);
        }

        /// <summary>
        /// Sets the speed target: each step may cost at most <paramref name="rho"/> of a full step. The device measures
        /// every trainable tensor's cost during the first steps, then keeps choosing the most important tensors that fit,
        /// again every <see cref="DefaultSelectionWindow"/> steps or when the loss stops falling. 0 trains every parameter again.
        /// </summary>
        /// <param name="rho">A share in (0, 1], or 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">rho is outside [0, 1].</exception>
        /// <exception cref="TrainerException">No plan runs, or it reserves no elastic workspace (plan it with the elastic or nanotrain method).</exception>
        public void SetSpeedTarget(double rho)
        {
            SetSpeedTarget(rho, DefaultSelectionWindow, DefaultCalibrationSteps);
        }

        /// <summary>As <see cref="SetSpeedTarget(double)"/>, with the steps between choices and the calibration steps.</summary>
        /// <param name="rho">A share in (0, 1], or 0.</param>
        /// <param name="window">Steps between two choices, 1..65535.</param>
        /// <param name="calibration">Steps measuring the costs first, 1..5.</param>
        public void SetSpeedTarget(double rho, int window, int calibration)
        {
            if (!(rho >= 0 && rho <= 1))
            {
                throw new ArgumentOutOfRangeException("rho", "the speed target is a share of a full step in (0, 1], or 0 for none");
            }

            if (window < 1 || window > 65535 || calibration < 1 || calibration > 5)
            {
                throw new ArgumentOutOfRangeException("window", "the window is 1..65535 steps and the calibration 1..5 steps");
            }

            RequirePlan();
            if (rho > 0 && !SupportsSpeedTarget)
            {
                throw new TrainerException(TrainerStatus.State, 0, "the plan reserves no elastic workspace; plan it with `nanotrain plan --method elastic` or `--method nanotrain`");
            }

            int status = NativeSetSpeed((float)rho, window, calibration);
            if (status != (int)TrainerStatus.Ok)
            {
                throw new TrainerException((TrainerStatus)status, 0, "the device refused the speed target");
            }

            _speedTarget = rho;
        }

        /// <summary>
        /// Saves the learned weights to the weight slot that does not hold the newest copy (data first, header last, so a
        /// power cut leaves the previous copy); they come back when the same plan starts again, also after a reset.
        /// </summary>
        /// <returns>The copy's sequence number (the newest wins).</returns>
        /// <exception cref="TrainerException">No plan runs, the board keeps no weights, or they do not fit a slot.</exception>
        public int Save()
        {
            RequirePlan();
            int[] slotAndSequence = new int[2];
            int status = NativeSave(slotAndSequence);
            if (status != (int)TrainerStatus.Ok)
            {
                throw new TrainerException((TrainerStatus)status, 0, status == (int)TrainerStatus.NoMemory ? "the trainable tensors do not fit a weight slot" : "saving the weights failed");
            }

            return slotAndSequence[1];
        }

        /// <summary>Restores the newest weights saved for the running plan, undoing the training since.</summary>
        /// <returns>The restored copy's sequence number, or 0 when none was saved (the weights stay as they are).</returns>
        /// <exception cref="TrainerException">No plan runs, the board keeps no weights, or reading them failed.</exception>
        public int Restore()
        {
            RequirePlan();
            int[] sequence = new int[1];
            int status = NativeRestore(sequence);
            if (status != (int)TrainerStatus.Ok)
            {
                throw new TrainerException((TrainerStatus)status, 0, "restoring the weights failed");
            }

            return sequence[0];
        }

        private int Shape(int index)
        {
            RequirePlan();
            return _shape[index];
        }

        private void RequirePlan()
        {
            if (NativePlanShape(_shape) != (int)TrainerStatus.Ok)
            {
                throw new TrainerException(TrainerStatus.State, 0, "no plan is running; call LoadPlan first");
            }
        }

        private void CheckSample(bool missing, int length, int label, bool training)
        {
            if (missing)
            {
                throw new ArgumentNullException("sample");
            }

            RequirePlan();
            if (_shape[0] != 1)
            {
                throw new TrainerException(TrainerStatus.Range, _shape[0], "the plan's batch is " + _shape[0].ToString() + "; this API trains one sample at a time (plan with batch 1)");
            }

            int expected = _shape[1] * _shape[2] * _shape[3];
            if (length != expected)
            {
                throw new ArgumentException("the sample has " + length.ToString() + " pixels; the plan's input is " + _shape[1].ToString() + "x" + _shape[2].ToString() + "x" + _shape[3].ToString() + " = " + expected.ToString(), "sample");
            }

            if (training && (label < 0 || label >= _shape[4]))
            {
                throw new ArgumentOutOfRangeException("label", "the label must lie in 0.." + (_shape[4] - 1).ToString());
            }

            if (training && _shape[5] == 0)
            {
                throw new TrainerException(TrainerStatus.State, 0, "the plan has no training section");
            }
        }

        private TrainResult Step(byte[] pixels, sbyte[] signedPixels, int label)
        {
            _label[0] = (byte)label;
            int status = NativeTrain(pixels, signedPixels, _label, (float)_learningRate, _loss, _prediction, _instructions);
            if (status != (int)TrainerStatus.Ok)
            {
                return new TrainResult((TrainerStatus)status, label, float.NaN, -1, new long[5]);
            }

            return new TrainResult(TrainerStatus.Ok, label, _loss[0], _prediction[0], _instructions);
        }

        private InferResult Forward(byte[] pixels, sbyte[] signedPixels)
        {
            float[] logits = new float[_shape[4]];
            long[] instructions = new long[1];
            int status = NativeInfer(pixels, signedPixels, _prediction, instructions, logits);
            if (status != (int)TrainerStatus.Ok)
            {
                throw new TrainerException((TrainerStatus)status, 0, "inference failed");
            }

            return new InferResult(_prediction[0], logits, instructions[0]);
        }
    }
}
