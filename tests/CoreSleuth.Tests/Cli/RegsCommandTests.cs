using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Cli;

public class RegsCommandTests
{
    /// <summary>Thread blocks of <c>coresleuth regs</c> text: LWP → rows (name, value, natural).</summary>
    private static Dictionary<int, List<string[]>> Parse(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        var threads = new Dictionary<int, List<string[]>>();
        List<string[]>? current = null;
        foreach (string line in r.Stdout.Split('\n'))
        {
            if (Regex.Match(line, @"^Thread \d+ \(LWP (\d+)") is { Success: true } m)
                threads[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = current = [];
            else if (line.Length == 0 || line.StartsWith('(')) continue;
            else if (line.StartsWith("Warnings", StringComparison.Ordinal)) current = null;
            else current?.Add(Regex.Split(line, @"\s{2,}"));
        }
        return threads;
    }

    [CorpusTheory]
    [InlineData("bsi-01c3190a")]
    [InlineData("bsi-08c8232b")]
    [InlineData("bsi-26432659")]
    [InlineData("lldb-x86-64-freebsd13")]
    [InlineData("lldb-x86-64-freebsd14-multithread")]
    public void Every_register_line_of_gdb_info_registers_is_printed_the_same(string name)
    {
        var gdb = GdbReference.Load(Corpus.Reference($"{name}.gdb.txt"));
        var ours = Parse(Coresleuth.Run("regs", Corpus.Core($"{name}.core")));
        Assert.Equal(gdb.Registers.Keys.Order(), ours.Keys.Order());
        foreach (var (lwp, registers) in gdb.Registers)
        {
            var rows = ours[lwp];
            foreach (var reg in registers)
            {
                if (reg.Value == "<unavailable>")
                {
                    // fs_base/gs_base: these cores have no NT_X86_SEGBASES, so there is nothing to print.
                    Assert.DoesNotContain(rows, x => x[0] == reg.Name);
                    continue;
                }
                var row = Assert.Single(rows, x => x[0] == reg.Name);
                Assert.Equal([reg.Name, reg.Value, reg.Natural], row);
            }
            // Same registers in the same order as gdb's info registers.
            Assert.Equal(registers.Where(x => x.Value != "<unavailable>").Select(x => x.Name), rows.Select(x => x[0]));
        }
    }

    [CorpusFact]
    public void Lwp_selects_one_thread()
    {
        var ours = Parse(Coresleuth.Run("regs", Corpus.Core("lldb-x86-64-freebsd14-multithread.core"), "--lwp", "100745"));
        Assert.Equal([100745], ours.Keys);
        // corpus README: LWP 100745 has ecx 0x14141414, edx 0x13131313, edi 0x11111111, esi 0x12121212
        var rows = ours[100745].ToDictionary(x => x[0], x => x[1]);
        Assert.Equal("0x14141414", rows["rcx"]);
        Assert.Equal("0x13131313", rows["rdx"]);
        Assert.Equal("0x11111111", rows["rdi"]);
        Assert.Equal("0x12121212", rows["rsi"]);
    }

    [CorpusFact]
    public void All_adds_the_xmm_registers_the_corpus_README_states()
    {
        // README: lldb-x86-64-freebsd13.core xmm8..xmm15: xmmN holds the bytes N, N+1, … N+15.
        var ours = Parse(Coresleuth.Run("regs", Corpus.Core("lldb-x86-64-freebsd13.core"), "--all"));
        var rows = ours[100654].ToDictionary(x => x[0]);
        for (int n = 8; n <= 15; n++)
        {
            var bytes = Enumerable.Range(n, 16).Select(b => (byte)b).ToArray();
            Assert.Equal("0x" + Convert.ToHexString(bytes.Reverse().ToArray()).ToLowerInvariant(), rows[$"xmm{n}"][1]);
            Assert.Equal("{" + string.Join(' ', bytes.Select(b => $"0x{b:x2}")) + "}", rows[$"xmm{n}"][2]);
        }
        foreach (string reg in new[] { "fctrl", "fstat", "ftag", "fop", "fip", "fdp", "mxcsr", "trapno", "err", "st0", "st7", "xmm0" })
            Assert.Contains(reg, rows.Keys);
    }

    [CorpusFact]
    public void All_shows_the_xmm_doubles_of_each_thread_as_the_corpus_README_states()
    {
        // README: xmm0..xmm3 low 8 bytes, as doubles: thread 1 = 2, 4, 8, 16; thread 3 = 3, 6, 9, 12; thread 4 = 5, 10, 15, 20.
        var ours = Parse(Coresleuth.Run("regs", Corpus.Core("lldb-x86-64-freebsd14-multithread.core"), "--all"));
        var expected = new Dictionary<int, double[]> { [100744] = [2, 4, 8, 16], [100745] = [3, 6, 9, 12], [100746] = [5, 10, 15, 20] };
        foreach (var (lwp, doubles) in expected)
        {
            var rows = ours[lwp].ToDictionary(x => x[0]);
            for (int i = 0; i < 4; i++)
            {
                ulong value = ulong.Parse(rows[$"xmm{i}"][1].AsSpan(2 + 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture); // low 64 bits
                Assert.Equal(doubles[i], BitConverter.UInt64BitsToDouble(value));
            }
        }
    }

    [CorpusFact]
    public void Eflags_names_match_gdb_for_every_value_seen_in_the_corpus()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(Corpus.Root!, "reference"), "*.gdb.txt"))
            foreach (var reg in GdbReference.Load(file).Registers.Values.SelectMany(x => x).Where(x => x.Name == "eflags"))
                Assert.Equal(reg.Natural, CoreSleuth.Report.RegisterRow.EflagsFlags(GdbReference.Hex(reg.Value)));
    }

    [CorpusTheory]
    [InlineData("bsi-01c3190a")]
    [InlineData("bsi-08c8232b")]
    [InlineData("bsi-26432659")]
    [InlineData("lldb-x86-64-freebsd13")]
    [InlineData("lldb-x86-64-freebsd14-multithread")]
    public void All_registers_agree_with_lldb_register_read_all(string name)
    {
        var lldb = LldbReference.Load(Corpus.Reference($"{name}.lldb.txt"));
        var r = Coresleuth.Run("regs", Corpus.Core($"{name}.core"), "--all", "--format", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var threads = System.Text.Json.JsonDocument.Parse(r.Stdout).RootElement.GetProperty("threads").EnumerateArray()
            .ToDictionary(t => t.GetProperty("lwp").GetInt32(),
                t => (Values: t.GetProperty("registers"), Natural: t.GetProperty("natural")));
        Assert.Equal(lldb.Registers.Keys.Order(), threads.Keys.Order());
        string[] integers = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
            "rip", "cs", "ss", "ds", "es", "fs", "gs", "fctrl", "fstat", "fop", "fip", "fdp", "mxcsr"];
        foreach (var (lwp, expected) in lldb.Registers)
        {
            var ours = threads[lwp];
            ulong Value(string reg) => GdbReference.Hex(ours.Values.GetProperty(reg).GetString()!);
            foreach (string reg in integers)
                Assert.True(GdbReference.Hex(expected[reg]) == Value(reg), $"LWP {lwp} {reg}: lldb {expected[reg]}, ours {ours.Values.GetProperty(reg)}");
            Assert.Equal(GdbReference.Hex(expected["rflags"]), Value("rflags"));
            for (int i = 0; i < 16; i++)
                Assert.Equal(expected[$"xmm{i}"], ours.Natural.GetProperty($"xmm{i}").GetString());
            for (int i = 0; i < 8; i++)
            {
                // LLDB lists the 10 bytes in memory order; our value is the 80-bit number, most significant byte first.
                byte[] bytes = LldbReference.Bytes(expected[$"st{i}"]);
                Assert.Equal("0x" + Convert.ToHexString(bytes.Reverse().ToArray()).ToLowerInvariant(), ours.Values.GetProperty($"st{i}").GetString());
            }
            // LLDB prints FXSAVE's abridged tag byte; 0 means every register is empty, which is 0xffff in the full tag word gdb shows.
            if (GdbReference.Hex(expected["ftag"]) == 0) Assert.Equal(0xffffUL, Value("ftag"));
        }
    }
}
