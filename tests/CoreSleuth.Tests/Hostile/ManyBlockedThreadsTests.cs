using System.Text;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Work per thread times work per byte of memory: a core whose threads are all blocked opening
/// a FIFO, each on its own path, made the analysis search the whole writable memory once per
/// path (for statements that mention it): 600 threads over 48 MiB is 28 GB of searching. The
/// analysis must stay within the 2 s bound of <see cref="PipelineCheck"/>. (The report itself
/// grows with the number of threads, so the allocation bound is not the subject here.)
/// </summary>
public sealed class ManyBlockedThreadsTests
{
    private const ulong Heap = 0x801000000;
    private const int Threads = 600, HeapSize = 48 << 20;

    private static byte[] Core()
    {
        var heap = new byte[HeapSize];
        var threads = new List<ThreadSpec>();
        for (int i = 0; i < Threads; i++)
        {
            int at = 64 * i;
            Encoding.ASCII.GetBytes($"/tmp/fifo-{i:D5}\0").CopyTo(heap, at);
            threads.Add(new ThreadSpec
            {
                Lwp = 100000 + i,
                Name = "connection",
                // openat(AT_FDCWD, path, O_RDONLY) asleep in fifo_open (spec §7.2, §8.1).
                Registers = new Registers { Rax = 499, Rdi = unchecked((ulong)-100L), Rsi = Heap + (ulong)at, Rdx = 0, Err = 2, Rip = 0x201010, Rsp = Heap + HeapSize - 0x1000, Rflags = 0x246 },
                Kinfo = new ThreadKinfo { WaitMessage = "fifoor", WaitChannel = 0xfffff80001234000 },
                XSave = null,
            });
        }
        return CoreWriter.WriteToArray(new CoreSpec
        {
            Process = new ProcessSpec { Pid = 4242, Command = "mysqld" },
            Threads = threads,
            Mappings = [MappingSpec.Anonymous(Heap, HeapSize, heap)],
            WritePtLwpInfo = false,
        });
    }

    [Fact]
    public void Six_hundred_threads_blocked_on_distinct_fifos_are_analysed_in_time()
    {
        var bytes = Core();
        // The first run pays for the JIT; the bounds that count are checked on the second.
        var limits = PipelineLimits.Default with { AllocationAllowance = 1L << 30 };
        var first = PipelineCheck.Run(bytes, bytes.Length, "many.core", limits: limits with { PerInput = TimeSpan.FromMinutes(10) }, keepOutput: true);
        Assert.Contains($"{Threads} threads are blocked opening a FIFO.", first.Text);
        // Every thread is still diagnosed; only the search for statements mentioning each path is bounded.
        Assert.Contains("memory at 0x801000000 mentions the path: /tmp/fifo-00000", first.Text);
        var second = PipelineCheck.Run(bytes, bytes.Length, "many.core", limits: limits);
        Assert.True(second.Elapsed < TimeSpan.FromSeconds(2));
    }
}
