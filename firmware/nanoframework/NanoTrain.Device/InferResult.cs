namespace NanoTrain.Device
{
    /// <summary>What one inference gave: the class predicted, the logits, and the forward pass's instructions.</summary>
    public class InferResult
    {
        internal InferResult(int prediction, float[] logits, long instructions)
        {
            Prediction = prediction;
            Logits = logits;
            Instructions = instructions;
        }

        /// <summary>The class with the largest logit (the first of equal ones).</summary>
        public int Prediction { get; private set; }

        /// <summary>One logit per class (unnormalised log-probabilities).</summary>
        public float[] Logits { get; private set; }

        /// <summary>Instructions of the forward pass as the board counted them (0 where it counts none).</summary>
        public long Instructions { get; private set; }
    }
}
