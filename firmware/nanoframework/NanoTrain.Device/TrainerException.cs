using System;

namespace NanoTrain.Device
{
    /// <summary>A native call failed: the engine's status, the index it names (a plan section's entry) and why.</summary>
    public class TrainerException : Exception
    {
        /// <summary>Creates the exception for a failed call.</summary>
        /// <param name="status">The engine's status.</param>
        /// <param name="index">The index at fault (a space, tensor or op of the plan), 0 when none.</param>
        /// <param name="detail">The engine's sentence, or the call's.</param>
        public TrainerException(TrainerStatus status, int index, string detail)
            : base(detail + " (" + StatusName(status) + ")")
        {
            Status = status;
            Index = index;
            Detail = detail;
        }

        /// <summary>The engine's status.</summary>
        public TrainerStatus Status { get; private set; }

        /// <summary>The index at fault (a space, tensor or op of the plan), 0 when none.</summary>
        public int Index { get; private set; }

        /// <summary>The engine's sentence, without the status.</summary>
        public string Detail { get; private set; }

        /// <summary>The engine's lower-case name of a status ("no-memory", "crc", ...), as the host tool prints it.</summary>
        public static string StatusName(TrainerStatus status)
        {
            switch (status)
            {
                case TrainerStatus.Ok: return "ok";
                case TrainerStatus.Argument: return "arg";
                case TrainerStatus.Magic: return "magic";
                case TrainerStatus.Version: return "version";
                case TrainerStatus.Crc: return "crc";
                case TrainerStatus.Truncated: return "truncated";
                case TrainerStatus.Range: return "range";
                case TrainerStatus.UnknownOp: return "unknown-op";
                case TrainerStatus.NoMemory: return "no-memory";
                case TrainerStatus.Board: return "board";
                case TrainerStatus.State: return "state";
                case TrainerStatus.Frame: return "frame";
                case TrainerStatus.Sequence: return "sequence";
                case TrainerStatus.Unsupported: return "unsupported";
                case TrainerStatus.Storage: return "storage";
                default: return "status " + ((int)status).ToString();
            }
        }
    }
}
