// Untested here: runs under nanoFramework.TestFramework on a device or the nanoCLR Win32 runner, neither of which this
// machine has. The same behaviour is tested on the host build: tests/NanoTrain.Device.Tests.
using System;
using nanoFramework.TestFramework;

namespace NanoTrain.Device.UnitTests
{
    [TestClass]
    public class TrainerTests
    {
        [TestMethod]
        public void TheBoardHasAnIdAndBanks()
        {
            BoardInfo board = Trainer.Board;
            Assert.IsNotNull(board.Id);
            Assert.IsTrue(board.BankNames.Length > 0);
            Assert.IsTrue(board.TotalFreeBytes > 0);
        }

        [TestMethod]
        public void AGarbagePlanIsRefusedAndNothingRuns()
        {
            Trainer trainer = new Trainer();
            try
            {
                trainer.LoadPlan(new byte[100]);
                Assert.Fail("a plan of zeros loaded");
            }
            catch (TrainerException e)
            {
                Assert.AreEqual((int)TrainerStatus.Magic, (int)e.Status);
            }

            Assert.IsFalse(trainer.IsLoaded);
        }

        [TestMethod]
        public void TrainingWithoutAPlanSaysSo()
        {
            Trainer trainer = new Trainer();
            trainer.Unload();
            try
            {
                trainer.Train(new byte[4], 0);
                Assert.Fail("trained without a plan");
            }
            catch (TrainerException e)
            {
                Assert.AreEqual((int)TrainerStatus.State, (int)e.Status);
            }
        }
    }
}
