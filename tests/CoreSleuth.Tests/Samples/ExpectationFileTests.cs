using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.Regression;
using CoreSleuth.Testing.Images;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// samples/NAME.expect.json (read by <c>coresleuth check samples/</c>) states what the scenario
/// intends, not what the analyzer happened to print: its <c>inputs.sysroot</c> names the
/// sample's sysroot folder when the text is not in the core, and each thread's first frames are
/// the stack as the image builder built it — the pc (rip, then each return address) and the
/// function's name. Findings, handles, wait messages and syscalls are kept as written (they are
/// checked against the scenario by AnalyzeTests and HandleTests).
/// <para>Run with <c>COREsleuth_WRITE_EXPECTATIONS=1</c> to rewrite those members of every
/// expectation file from the scenarios (never use <c>check --update</c> on the samples: it
/// writes the analyzer's output).</para>
/// </summary>
public class ExpectationFileTests
{
    public const string WriteEnvironmentVariable = "COREsleuth_WRITE_EXPECTATIONS";

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Expected_frames_and_sysroot_are_the_scenarios_intended_ones(string name)
    {
        var b = SampleSet.Build(name);
        string path = Path.Combine(SampleSet.Folder, name + ".expect.json");
        var doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var intended = Intended(b, doc);
        if (Environment.GetEnvironmentVariable(WriteEnvironmentVariable) is { Length: > 0 })
        {
            File.WriteAllText(path, ExpectationWriter.Format(intended));
            return;
        }
        Assert.Equal(intended.ToJsonString(), doc.ToJsonString());
    }

    /// <summary>The expectation document with inputs.sysroot and every thread's frames taken from the scenario.</summary>
    internal static JsonObject Intended(SampleBuild b, JsonObject committed)
    {
        var doc = committed.DeepClone().AsObject();
        var inputs = doc["inputs"] as JsonObject ?? new JsonObject();
        if (b.SysrootFolder is { } folder) inputs["sysroot"] = folder;
        else inputs.Remove("sysroot");
        doc["inputs"] = inputs;

        var threads = doc["threads"]!.AsArray();
        foreach (var t in b.Process.Image.Threads)
        {
            var entry = threads.OfType<JsonObject>().SingleOrDefault(e => (int?)e["lwp"] == t.Lwp)
                ?? throw new InvalidDataException($"{b.Name}.expect.json has no thread {t.Lwp}");
            ulong rip = b.Core.Threads.Single(c => c.Lwp == t.Lwp).Registers.Rip;
            var frames = new JsonArray();
            foreach (var (f, i) in t.Frames.Take(ExpectationWriter.TopFrames).Select((f, i) => (f, i)))
                frames.Add((JsonNode)new JsonObject { ["pc"] = $"0x{(i == 0 ? rip : f.Pc):x}", ["symbol"] = SymbolName(f.Module.Image, f.Function) });
            entry["frames"] = frames;
        }
        return doc;
    }

    /// <summary>
    /// The name a symbolizer shows for a function: none for a static function (no .dynsym entry;
    /// FreeBSD's base libraries have no .symtab); of several names at one address (a syscall stub's
    /// <c>__sys_X</c>, <c>_X</c>, <c>X</c>), the one .dynsym lists last; C++ names demangled.
    /// </summary>
    internal static string? SymbolName(ElfImage image, AssembledFunction function)
    {
        if (!function.Spec.Exported) return null;
        var names = function.Spec.AllNames.ToHashSet();
        string? last = DynamicSymbolNames(image.FileBytes).LastOrDefault(names.Contains);
        if (last is null) return null;
        return last.StartsWith("_Z", StringComparison.Ordinal) ? ItaniumDemangler.Demangle(last) ?? last : last;
    }

    /// <summary>Names of .dynsym in table order, read from the section headers.</summary>
    private static List<string> DynamicSymbolNames(byte[] elf)
    {
        var span = elf.AsSpan();
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3c..]);
        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)(shoff + (ulong)(64 * i))..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 11) continue;   // SHT_DYNSYM
            int offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int size = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x20..]);
            var strtab = span[(int)(shoff + (ulong)(64 * (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..])))..];
            int strOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);
            var names = new List<string>();
            for (int s = offset; s < offset + size; s += 24)
            {
                int n = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[s..]);
                names.Add(Encoding.ASCII.GetString(span[n..][..span[n..].IndexOf((byte)0)]));
            }
            return names;
        }
        return [];
    }
}
