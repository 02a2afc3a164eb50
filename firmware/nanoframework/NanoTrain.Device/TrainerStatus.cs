namespace NanoTrain.Device
{
    /// <summary>
    /// What a native call answered: the engine's <c>nt_status</c> values (firmware/engine/include/nt/status.h), same
    /// numbers.
    /// </summary>
    public enum TrainerStatus
    {
        /// <summary>The call did what it was asked.</summary>
        Ok = 0,

        /// <summary>A pointer or size argument is invalid.</summary>
        Argument = 1,

        /// <summary>The plan does not start with the plan magic ("NTPL").</summary>
        Magic = 2,

        /// <summary>The plan's format version is not the one this firmware reads.</summary>
        Version = 3,

        /// <summary>A checksum does not match: the plan, or a saved weight slot, is damaged.</summary>
        Crc = 4,

        /// <summary>The plan is shorter than its header says.</summary>
        Truncated = 5,

        /// <summary>An offset, length, index, label or learning rate lies outside its bounds.</summary>
        Range = 6,

        /// <summary>The plan uses an op this firmware does not implement.</summary>
        UnknownOp = 7,

        /// <summary>The plan's memory does not fit the board's banks, or its weights do not fit a slot.</summary>
        NoMemory = 8,

        /// <summary>The plan was made for another board, or names a bank this board does not have.</summary>
        Board = 9,

        /// <summary>Not valid now: no plan is loaded, the plan does not train, or elastic selection is calibrating.</summary>
        State = 10,

        /// <summary>A protocol frame is malformed (the UART protocol only).</summary>
        Frame = 11,

        /// <summary>A protocol request arrived out of order (the UART protocol only).</summary>
        Sequence = 12,

        /// <summary>This board cannot do it (for example, it keeps no weights across resets).</summary>
        Unsupported = 13,

        /// <summary>Reading or writing persistent storage failed.</summary>
        Storage = 14,

        /// <summary>
        /// A run-time check failed (guard words past an arena space, the stack guard, the step budget): memory is not
        /// trusted, so training and saving are refused until a restart, which restores the last saved weights.
        /// </summary>
        Fault = 15,
    }
}
