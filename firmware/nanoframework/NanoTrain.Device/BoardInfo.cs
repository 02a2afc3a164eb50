namespace NanoTrain.Device
{
    /// <summary>The board the firmware was built for: its id (as plans name it), clock, flash and SRAM banks.</summary>
    public class BoardInfo
    {
        internal BoardInfo(string id, int clockHz, int flashBytes, string[] bankNames, int[] bankFreeBytes)
        {
            Id = id;
            ClockHz = clockHz;
            FlashBytes = flashBytes;
            BankNames = bankNames;
            BankFreeBytes = bankFreeBytes;
        }

        /// <summary>The board id a plan must be made for (<c>nanotrain plan --board ID</c>).</summary>
        public string Id { get; private set; }

        /// <summary>The core clock in hertz.</summary>
        public int ClockHz { get; private set; }

        /// <summary>Flash bytes of the chip.</summary>
        public int FlashBytes { get; private set; }

        /// <summary>The SRAM banks' names, as plans name their memory spaces.</summary>
        public string[] BankNames { get; private set; }

        /// <summary>Bytes of each bank (same order as <see cref="BankNames"/>) the firmware leaves free for a plan.</summary>
        public int[] BankFreeBytes { get; private set; }

        /// <summary>All the banks' free bytes.</summary>
        public int TotalFreeBytes
        {
            get
            {
                int total = 0;
                for (int i = 0; i < BankFreeBytes.Length; i++)
                {
                    total += BankFreeBytes[i];
                }

                return total;
            }
        }
    }
}
