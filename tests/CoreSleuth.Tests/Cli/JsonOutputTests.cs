using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Cli;

public class JsonOutputTests
{
    private const string Multithread = "lldb-x86-64-freebsd14-multithread.core";

    public static TheoryData<string[]> Commands => new()
    {
        new[] { "info", "bsi-01c3190a.core" },
        new[] { "threads", Multithread },
        new[] { "regs", "bsi-01c3190a.core", "--all" },
        new[] { "regs", Multithread },
        new[] { "mem", "bsi-01c3190a.core", "0x7fffffffd540", "-n", "5" },
        new[] { "mem", "bsi-01c3190a.core", "0x7fffffffefcd", "--string" },
    };

    private static JsonElement Run(string[] command)
    {
        var args = command.ToList();
        args[1] = Corpus.Core(args[1]);
        var r = Coresleuth.Run([.. args, "--format", "json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(r.Stderr);
        // Valid UTF-8 and valid JSON.
        byte[] utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(r.Stdout);
        return JsonDocument.Parse(utf8).RootElement.Clone();
    }

    private static IEnumerable<(string Name, JsonElement Value)> Walk(JsonElement e, string name = "")
    {
        yield return (name, e);
        if (e.ValueKind == JsonValueKind.Object)
            foreach (var p in e.EnumerateObject())
                foreach (var x in Walk(p.Value, p.Name)) yield return x;
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (var item in e.EnumerateArray())
                foreach (var x in Walk(item, name)) yield return x;
    }

    [CorpusTheory]
    [MemberData(nameof(Commands))]
    public void Names_are_camelCase_and_every_hex_value_is_a_lowercase_0x_string(string[] command)
    {
        var root = Run(command);
        foreach (var (name, value) in Walk(root))
        {
            if (name.Length > 0) Assert.Matches("^[a-z][A-Za-z0-9]*$", name);
            if (value.ValueKind == JsonValueKind.String && value.GetString()!.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && name is "rip" or "rsp" or "address" or "value" or "start" or "end" or "size" or "offset")
                Assert.Matches("^0x[0-9a-f]+$", value.GetString());
        }
    }

    [CorpusFact]
    public void Threads_json_has_numbers_for_integers_hex_strings_for_registers_and_null_for_unknowns()
    {
        var threads = Run(["threads", Multithread]).GetProperty("threads").EnumerateArray().ToList();
        Assert.Equal([100744, 100720, 100745, 100746], threads.Select(t => t.GetProperty("lwp").GetInt32()));
        Assert.Equal(["0x2030c2", "0x800396b3c", "0x2030cd", "0x2030cd"], threads.Select(t => t.GetProperty("registers").GetProperty("rip").GetString())); // corpus README
        Assert.All(threads, t =>
        {
            Assert.Equal(JsonValueKind.Number, t.GetProperty("index").ValueKind);
            Assert.Equal(JsonValueKind.Null, t.GetProperty("wait").ValueKind);
            Assert.Equal(JsonValueKind.Null, t.GetProperty("pthread").ValueKind);
            Assert.Equal(JsonValueKind.Null, t.GetProperty("mysql").ValueKind);
        });
    }

    [CorpusFact]
    public void Regs_json_carries_the_same_values_as_gdb()
    {
        var gdb = GdbReference.Load(Corpus.Reference("bsi-01c3190a.gdb.txt")).Registers[101039];
        var thread = Assert.Single(Run(["regs", "bsi-01c3190a.core", "--all"]).GetProperty("threads").EnumerateArray());
        Assert.Equal(101039, thread.GetProperty("lwp").GetInt32());
        var values = thread.GetProperty("registers");
        var natural = thread.GetProperty("natural");
        foreach (var g in gdb.Where(g => g.Value != "<unavailable>"))
        {
            string name = g.Name == "eflags" ? "rflags" : g.Name; // docs/json.md: the register set's name, as in analyze
            Assert.Equal(g.Value, values.GetProperty(name).GetString());
            Assert.Equal(g.Natural, natural.GetProperty(name).GetString());
        }
        Assert.False(values.TryGetProperty("eflags", out _));
    }

    [CorpusFact]
    public void Mem_json_words_have_addresses_8_bytes_apart()
    {
        var words = Run(["mem", "bsi-01c3190a.core", "0x7fffffffd540", "-n", "5"]).GetProperty("words").EnumerateArray().ToList();
        Assert.Equal(5, words.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"0x{0x7fffffffd540 + 8 * i:x}", words[i].GetProperty("address").GetString());
            Assert.Matches("^0x[0-9a-f]+$", words[i].GetProperty("value").GetString());
            Assert.Equal(JsonValueKind.Null, words[i].GetProperty("unavailable").ValueKind);
        }
    }

    [CorpusFact]
    public void Text_output_lines_never_end_in_spaces()
    {
        foreach (var command in new[]
        {
            new[] { "info", "bsi-01c3190a.core" }, new[] { "info", "lldb-x86-64-freebsd13.core" }, new[] { "threads", Multithread },
            new[] { "regs", Multithread, "--all" }, new[] { "mem", "bsi-01c3190a.core", "0x7ffffffffff0", "-n", "3" },
        })
        {
            var args = command.ToList();
            args[1] = Corpus.Core(args[1]);
            var r = Coresleuth.Run([.. args]);
            Assert.DoesNotMatch(new Regex(" \n|\t"), r.Stdout);
        }
    }
}
