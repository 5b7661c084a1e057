using System.Diagnostics;
using CoreSleuth.Elf;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Reader;

public class SpecialFileTests
{
    [Fact]
    public async Task A_fifo_is_refused_without_waiting_for_a_writer()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = Path.Combine(Path.GetTempPath(), $"coresleuth-{Guid.NewGuid():n}.fifo");
        using (var mk = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false })!) mk.WaitForExit();
        try
        {
            // Opening a FIFO for reading blocks until a writer comes; the reader must not open it.
            var load = Task.Run(() => CoreFile.Open(fifo));
            var finished = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(finished == load, "opening a FIFO hung");
            var error = await Assert.ThrowsAsync<CoreFormatException>(() => load);
            Assert.Contains("FIFO", error.Message);
        }
        finally { File.Delete(fifo); }
    }
}
