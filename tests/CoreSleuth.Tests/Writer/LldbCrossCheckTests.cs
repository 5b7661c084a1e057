using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>LLDB 16 (its FreeBSD elf-core plugin) reads the written cores: threads, names, registers, memory.</summary>
public partial class LldbCrossCheckTests
{
    private static readonly string[] GprNames =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "fs", "gs", "ss", "ds", "es"];

    private static ulong Expected(Registers r, string name) => name switch
    {
        "rax" => r.Rax, "rbx" => r.Rbx, "rcx" => r.Rcx, "rdx" => r.Rdx, "rsi" => r.Rsi, "rdi" => r.Rdi, "rbp" => r.Rbp, "rsp" => r.Rsp,
        "r8" => r.R8, "r9" => r.R9, "r10" => r.R10, "r11" => r.R11, "r12" => r.R12, "r13" => r.R13, "r14" => r.R14, "r15" => r.R15,
        "rip" => r.Rip, "rflags" => r.Rflags, "cs" => r.Cs, "fs" => r.Fs, "gs" => r.Gs, "ss" => r.Ss, "ds" => r.Ds, "es" => r.Es,
        _ => throw new ArgumentException(name),
    };

    [LldbFact]
    public void KernelCoreThreadsNamesAndRegisters()
    {
        var spec = new CoreSpec
        {
            Producer = CoreProducer.Kernel,
            OsRelDate = 1400097,
            Process = new ProcessSpec { Pid = 802, Command = "mysqld" },
            Threads = [Scenarios.Thread(100720, "mysqld", 1), Scenarios.Thread(100744, "connection", 2), Scenarios.Thread(100745, "io_read_thread-long", 3)],
            SignalledLwp = 100744,
            CurSig = 11,
            Mappings = Scenarios.SmallMap(),
        };
        using var core = new WrittenCore(spec);
        var lldb = RunLldb(core.Path, ["thread list", .. Enumerable.Range(1, 3).SelectMany(i => new[] { $"thread select {i}", "register read", "register read xmm0 xmm1" })]);

        var threads = ThreadLine().Matches(lldb["thread list"]).Select(m => (Tid: int.Parse(m.Groups[2].Value), Pc: ulong.Parse(m.Groups[3].Value, NumberStyles.HexNumber), Name: m.Groups[4].Value, Stop: m.Groups[5].Value.Trim())).ToArray();
        // The kernel writes the signalled thread first (spec §2.3); LLDB numbers threads in note order.
        Assert.Equal([100744, 100720, 100745], threads.Select(t => t.Tid));
        Assert.Equal(["connection", "mysqld", "io_read_thread-long"], threads.Select(t => t.Name));
        Assert.All(threads, t => Assert.Equal("signal SIGSEGV", t.Stop));

        var byLwp = spec.Threads.ToDictionary(t => t.Lwp);
        for (int i = 0; i < 3; i++)
        {
            var written = byLwp[threads[i].Tid];
            Assert.Equal(written.Registers.Rip, threads[i].Pc);
            var regs = Registers(lldb[$"register read#{i}"]);
            foreach (var name in GprNames)
                Assert.True(Expected(written.Registers, name) == regs[name], $"thread {threads[i].Tid} {name}: LLDB 0x{regs[name]:x}, written 0x{Expected(written.Registers, name):x}");
            var xmm = VectorRegisters(lldb[$"register read xmm0 xmm1#{i}"]);
            Assert.Equal(written.Fpu.Xmm[0], xmm["xmm0"]);
            Assert.Equal(written.Fpu.Xmm[1], xmm["xmm1"]);
        }
    }

    [LldbFact]
    public void GcoreCoreMemoryAndThreadNames()
    {
        var heap = new byte[0x2000];
        BitConverter.GetBytes(0x1122334455667788UL).CopyTo(heap, 0x1008);
        var spec = Scenarios.TwoThreads(CoreProducer.Gcore, 1400097) with
        {
            Mappings = [MappingSpec.Anonymous(0x8_0000_0000, 0x2000, heap), MappingSpec.Anonymous(0x8_0000_4000, 0x1000, "abc"u8.ToArray())],
        };
        using var core = new WrittenCore(spec);
        var lldb = RunLldb(core.Path, ["thread list", "memory read --format x --size 8 --count 1 0x800001008", "memory read --format x --size 8 --count 1 0x800004000"]);
        var threads = ThreadLine().Matches(lldb["thread list"]).Select(m => (int.Parse(m.Groups[2].Value), m.Groups[4].Value)).ToArray();
        Assert.Equal([(100100, "mysqld"), (100101, "connection")], threads);
        Assert.Contains("0x800001008: 0x1122334455667788", lldb["memory read --format x --size 8 --count 1 0x800001008"]);
        Assert.Contains("0x800004000: 0x0000000000636261", lldb["memory read --format x --size 8 --count 1 0x800004000"]);
    }

    [LldbFact]
    public void SparseKernelCoreReadsBackZerosAndData()
    {
        var data = new byte[0x3000];
        "after a hole"u8.CopyTo(data.AsSpan(0x2000));
        var spec = new CoreSpec { Producer = CoreProducer.Kernel, SparseZeroPages = true, Mappings = [MappingSpec.Anonymous(0x8_0000_0000, 0x4000, data)] };
        using var core = new WrittenCore(spec);
        var lldb = RunLldb(core.Path, ["memory read --format x --size 8 --count 1 0x800001000", "memory read --format x --size 8 --count 1 0x800002000", "memory read --format x --size 8 --count 1 0x800003ff8"]);
        Assert.Contains("0x800001000: 0x0000000000000000", lldb["memory read --format x --size 8 --count 1 0x800001000"]);
        ulong text = BitConverter.ToUInt64("after a "u8);
        Assert.Contains($"0x800002000: 0x{text:x16}", lldb["memory read --format x --size 8 --count 1 0x800002000"]);
        Assert.Contains("0x800003ff8: 0x0000000000000000", lldb["memory read --format x --size 8 --count 1 0x800003ff8"]);
    }

    [LldbFact]
    public void GdbStyleCoreWithFreeBsdNoteNamesIsReadable()
    {
        // LLDB only reads NT_PRSTATUS named "FreeBSD" in FreeBSD cores, so the default gdb variant
        // ("CORE", spec doubt #2) is not readable by it; the "FreeBSD" variant is.
        var spec = Scenarios.TwoThreads(CoreProducer.Gdb, 1400097) with { Gdb = new GdbOptions { GenericNoteName = "FreeBSD" }, SignalledLwp = 100101 };
        using var core = new WrittenCore(spec);
        var lldb = RunLldb(core.Path, ["thread list"]);
        var threads = ThreadLine().Matches(lldb["thread list"]).ToArray();
        // the signalled thread first; no THRMISC in gdb cores, so LLDB shows no thread names
        Assert.Equal([100101, 100100], threads.Select(m => int.Parse(m.Groups[2].Value)));
        Assert.All(threads, m => Assert.False(m.Groups[4].Success));
        Assert.Equal(spec.Threads[1].Registers.Rip, ulong.Parse(threads[0].Groups[3].Value, NumberStyles.HexNumber));
    }

    /// <summary>Runs lldb in batch mode and returns each command's output, keyed by the command ("cmd#n" for repeats).</summary>
    private static Dictionary<string, string> RunLldb(string core, IReadOnlyList<string> commands)
    {
        var args = new List<string> { "-b", "-c", core };
        foreach (var c in commands) { args.Add("-o"); args.Add(c); }
        var r = ExternalTools.Run(ExternalTools.Lldb, args, timeoutSeconds: 180);
        Assert.True(r.ExitCode == 0, $"lldb failed ({r.ExitCode}): {r.StdErr}\n{r.StdOut}");
        Assert.DoesNotContain("Could not find", r.StdOut + r.StdErr);

        return ExternalTools.LldbOutputsByCommand(r.StdOut);
    }

    private static Dictionary<string, ulong> Registers(string output) =>
        RegisterLine().Matches(output).ToDictionary(m => m.Groups[1].Value, m => ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber));

    private static Dictionary<string, byte[]> VectorRegisters(string output) =>
        VectorLine().Matches(output).ToDictionary(m => m.Groups[1].Value,
            m => m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(h => Convert.ToByte(h, 16)).ToArray());

    // "* thread #1: tid = 100744, 0x00000000002030c2, name = 'a.out', stop reason = signal SIGSEGV"
    [GeneratedRegex(@"thread #(\d+): tid = (\d+), 0x([0-9a-f]+)(?:, name = '([^']*)')?(?:, stop reason = (.*))?")]
    private static partial Regex ThreadLine();

    [GeneratedRegex(@"^\s+(\w+) = 0x([0-9a-f]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RegisterLine();

    [GeneratedRegex(@"^\s+(xmm\d+) = \{([0-9a-fx ]+)\}", RegexOptions.Multiline)]
    private static partial Regex VectorLine();
}
