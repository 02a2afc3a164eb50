namespace NanoTrain.Device
{
    /// <summary>
    /// What one training step did: its status, the loss before the update, the class predicted, and the instructions
    /// each phase took as the board's counter measured them (0 where the board counts none, as on the host build).
    /// </summary>
    public class TrainResult
    {
        internal TrainResult(TrainerStatus status, int label, float loss, int prediction, long[] instructions)
        {
            Status = status;
            Label = label;
            Loss = loss;
            Prediction = prediction;
            ForwardInstructions = instructions[0];
            LossInstructions = instructions[1];
            InputGradientInstructions = instructions[2];
            WeightGradientInstructions = instructions[3];
            UpdateInstructions = instructions[4];
        }

        /// <summary><see cref="TrainerStatus.Ok"/> when the step trained; otherwise nothing changed.</summary>
        public TrainerStatus Status { get; private set; }

        /// <summary>The label the step trained towards.</summary>
        public int Label { get; private set; }

        /// <summary>Softmax cross-entropy of the sample before the update (NaN when the step failed).</summary>
        public float Loss { get; private set; }

        /// <summary>The class the model predicted for the sample before the update (-1 when the step failed).</summary>
        public int Prediction { get; private set; }

        /// <summary>True when <see cref="Prediction"/> is <see cref="Label"/>.</summary>
        public bool Correct
        {
            get { return Prediction == Label; }
        }

        /// <summary>Instructions of the forward pass.</summary>
        public long ForwardInstructions { get; private set; }

        /// <summary>Instructions of the loss and its gradient.</summary>
        public long LossInstructions { get; private set; }

        /// <summary>Instructions spent passing the gradient back through the layers (input gradients).</summary>
        public long InputGradientInstructions { get; private set; }

        /// <summary>Instructions spent on weight and bias gradients.</summary>
        public long WeightGradientInstructions { get; private set; }

        /// <summary>Instructions of the weight updates.</summary>
        public long UpdateInstructions { get; private set; }

        /// <summary>All of the step's instructions.</summary>
        public long TotalInstructions
        {
            get { return ForwardInstructions + LossInstructions + InputGradientInstructions + WeightGradientInstructions + UpdateInstructions; }
        }
    }
}
