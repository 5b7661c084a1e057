using System.Buffers.Binary;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// The harness can fail: each invariant check rejects output that breaks it, the map finds
/// the structures the seeds were built with (spec §9), and damage is undone exactly.
/// </summary>
public sealed class HarnessTests
{
    [Theory]
    [InlineData("name \u001b[31mred")]
    [InlineData("line\rover")]
    [InlineData("bidi \u202e")]
    [InlineData("csi \u009b")]
    [InlineData("bell \a")]
    public void Terminal_check_rejects_raw_controls(string output)
    {
        var v = Assert.Throws<InvariantViolation>(() => PipelineCheck.CheckTerminalSafe("text", output));
        Assert.Equal("unescaped character", v.Invariant);
    }

    [Fact]
    public void Terminal_check_accepts_escapes_and_ordinary_unicode()
    {
        PipelineCheck.CheckTerminalSafe("text", "name \\x1b[31mred \\u202e ü 名前 😀\nnext line");
    }

    [Theory]
    [InlineData("| a | b |\n| --- | --- |\n| x | y | z |")]          // a cell split in two
    [InlineData("| a | b |\n| --- | --- |\n| `x|y` | z |")]            // a pipe in a code span still splits the cell on GitHub
    [InlineData("- path <script>alert(1)</script>")]                  // raw HTML
    public void Markdown_check_rejects_broken_tables_and_markup(string markdown) =>
        Assert.Throws<InvariantViolation>(() => PipelineCheck.CheckMarkdownTables(markdown));

    [Fact]
    public void Markdown_check_accepts_escaped_cells_and_the_details_wrapper() =>
        PipelineCheck.CheckMarkdownTables("| a | b |\n| --- | --- |\n| x\\|y\\`z | `<script>` ``a`<b>`` |\n\n- `<i>`\n\n<details><summary>Thread 1</summary>\n\n    <raw> in code\n\n</details>");

    [Fact]
    public void Json_check_rejects_lone_surrogates_and_garbage()
    {
        Assert.Equal("JSON not UTF-8", Assert.Throws<InvariantViolation>(() => PipelineCheck.CheckJson("{\"name\": \"\ud800\"}")).Invariant);
        Assert.Equal("JSON does not parse", Assert.Throws<InvariantViolation>(() => PipelineCheck.CheckJson("{\"name\": \"x}")).Invariant);
        PipelineCheck.CheckJson("{\"name\": \"\\u001b[31m \\ud83d\\ude00\"}");
    }

    [Fact]
    public void Allocation_and_time_bounds_are_enforced()
    {
        var bytes = CoreWriter.WriteToArray(SeedCores.SmallProcess(1400097));
        var tight = new PipelineLimits { AllocationAllowance = -bytes.Length, PerInput = TimeSpan.FromMinutes(5) }; // the first run pays for the JIT
        Assert.Equal("allocation", Assert.Throws<InvariantViolation>(() => PipelineCheck.Run(bytes, bytes.Length, "x.core", limits: tight)).Invariant);
        var instant = new PipelineLimits { PerInput = TimeSpan.Zero };
        Assert.Equal("slow input", Assert.Throws<InvariantViolation>(() => PipelineCheck.Run(bytes, bytes.Length, "x.core", limits: instant)).Invariant);
    }

    [Fact]
    public void Typed_refusals_pass_and_are_reported_as_refusals()
    {
        var outcome = PipelineCheck.Run("not a core at all"u8.ToArray(), 17, "text.core");
        Assert.Equal(PipelineResult.Refused, outcome.Result);
        Assert.False(string.IsNullOrEmpty(outcome.Refusal));
    }

    /// <summary>The TCBs, pthreads, list links and frame chain that <see cref="SeedCores.SmallProcess"/> lays out (spec §9.1, §9.2) are found by the map.</summary>
    [Fact]
    public void Map_finds_the_libthr_structures_and_frame_chain_of_the_small_seed()
    {
        var bytes = CoreWriter.WriteToArray(SeedCores.SmallProcess(1400097));
        var map = CoreFields.Parse(bytes);
        ulong Value(CoreField f) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(f.Offset));
        ulong Address(CoreField f) => map.Loads.Single(l => f.Offset >= l.FileOffset && f.Offset < l.FileOffset + l.Length) is var l ? l.VirtualAddress + (ulong)(f.Offset - l.FileOffset) : 0;

        var selves = map.Fields.Where(f => f.Kind == FieldKind.SelfPointer).ToList();
        Assert.Equal([SeedCores.HeapBase + 0x100, SeedCores.HeapBase + 0x200], selves.Select(Address).Order());
        Assert.All(selves, f => Assert.Equal(Address(f), Value(f)));
        Assert.Equal([SeedCores.HeapBase + 0x1000, SeedCores.HeapBase + 0x2000], map.Fields.Where(f => f.Kind == FieldKind.ThreadPointer).Select(Value).Order());
        // 14.x: tle.tqe_next at 64, tcb back-pointer at 552 (spec §9.1).
        Assert.Contains(map.Fields, f => f.Kind == FieldKind.ListLink && Address(f) == SeedCores.HeapBase + 0x1000 + 64 && Value(f) == SeedCores.HeapBase + 0x2000);
        Assert.Contains(map.Fields, f => f.Kind == FieldKind.BackPointer && Address(f) == SeedCores.HeapBase + 0x1000 + 552);
        // Both threads' chains: saved rbp at rbp, return address at rbp+8, two frames each.
        var saved = map.Fields.Where(f => f.Kind == FieldKind.SavedFramePointer).Select(Address).Order().ToList();
        Assert.Equal([SeedCores.StackBase + 0x100, SeedCores.StackBase + 0x180, SeedCores.StackBase + 0x2100, SeedCores.StackBase + 0x2180], saved);
        // Note structure: structsizes of the PROC, FILES and VMMAP notes and the string fields.
        Assert.Contains(map.Fields, f => f.Kind == FieldKind.StructSize && f.Label.StartsWith("ki_structsize", StringComparison.Ordinal));
        Assert.Contains(map.Strings, s => s.Label.StartsWith("pr_tname", StringComparison.Ordinal));
        Assert.Contains(map.Strings, s => s.Label.StartsWith("path of kinfo_file", StringComparison.Ordinal));
        Assert.Contains(map.Fields, f => f.Label == "ps_nargvstr" && Value(f) % (1UL << 32) == 2);
    }

    [Fact]
    public void Damage_is_undone_exactly()
    {
        var bytes = CoreWriter.WriteToArray(SeedCores.SmallProcess(1300139));
        var original = (byte[])bytes.Clone();
        var map = CoreFields.Parse(bytes);
        var random = new Random(7);
        int changed = 0;
        for (int i = 0; i < 500; i++)
        {
            var mutator = new CoreMutator(bytes, map, random);
            int length = mutator.Mutate();
            Assert.InRange(length, 0, bytes.Length);
            if (length < bytes.Length || !bytes.AsSpan().SequenceEqual(original)) changed++;
            mutator.Undo();
            Assert.True(bytes.AsSpan().SequenceEqual(original), $"not restored after: {mutator.Describe()}");
        }
        Assert.True(changed > 450, $"only {changed} of 500 mutations changed anything");
    }
}
