using System.Buffers.Binary;
using System.Text.Json;
using CoreSleuth.Cli;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// A damaged core must not read as a clean one: copies of the committed samples cut short or with
/// a thread's NT_PRSTATUS spoiled, made in a temporary folder. The notes are located by walking
/// the ELF bytes here (spec §1.1, §2.1), not with the reader under test.
/// </summary>
public sealed class IncompleteCoreTests : IDisposable
{
    private const int NtPrstatus = 1;
    private readonly string dir = Directory.CreateTempSubdirectory("coresleuth-incomplete-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Copy(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(SampleSet.CorePath(name));

    /// <summary>The first PT_NOTE's offset and size, from the program header table (Elf64_Phdr: p_type 0, p_offset 8, p_filesz 32).</summary>
    private static (long Offset, long Size) NoteSegment(byte[] core)
    {
        long phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(core.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(core.AsSpan(54)), phnum = BinaryPrimitives.ReadUInt16LittleEndian(core.AsSpan(56));
        for (int i = 0; i < phnum; i++)
        {
            var ph = core.AsSpan((int)phoff + i * phentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == 4)
                return ((long)BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]));
        }
        throw new InvalidOperationException("the sample has no PT_NOTE");
    }

    /// <summary>Every note: where its header starts, its type, where its descriptor starts and ends.</summary>
    private static List<(long At, uint Type, long DescStart, long DescEnd)> Notes(byte[] core)
    {
        var (offset, size) = NoteSegment(core);
        var notes = new List<(long, uint, long, long)>();
        for (long pos = offset; pos + 12 <= offset + size;)
        {
            uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(core.AsSpan((int)pos));
            uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(core.AsSpan((int)pos + 4));
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(core.AsSpan((int)pos + 8));
            long desc = pos + 12 + ((namesz + 3) & ~3u);
            notes.Add((pos, type, desc, desc + descsz));
            pos = desc + ((descsz + 3) & ~3u);
        }
        return notes;
    }

    private static string Diagnosis(string text)
    {
        int start = text.IndexOf("\nDIAGNOSIS\n", StringComparison.Ordinal);
        int end = text.IndexOf("\nTHREADS\n", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, text);
        return text[start..end];
    }

    private static void AssertOneErrorLine(CliResult r, params string[] mentions)
    {
        Assert.Equal(1, r.Stderr.Count(c => c == '\n'));
        Assert.StartsWith("coresleuth: ", r.Stderr, StringComparison.Ordinal);
        foreach (string m in mentions) Assert.Contains(m, r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("analyze")]
    [InlineData("threads")]
    [InlineData("info")]
    public void A_core_cut_to_its_ELF_header_is_refused_naming_the_missing_program_headers(string command)
    {
        string path = Copy("header-only.core", Sample("mysqld-ghost-fifo")[..64]);
        var r = Coresleuth.Run(command, path);
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        Assert.Empty(r.Stdout);
        AssertOneErrorLine(r, "at file offset 0x40", "program header table", "no threads");
    }

    [Fact]
    public void A_core_cut_before_its_first_thread_note_is_refused_naming_where_the_file_ends()
    {
        byte[] core = Sample("mysqld-ghost-fifo");
        var first = Notes(core).First(n => n.Type == NtPrstatus);
        long cut = first.DescStart + 10;
        var r = Coresleuth.Run("analyze", Copy("no-threads.core", core[..(int)cut]), "--fail-on", "fifo");
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        Assert.Empty(r.Stdout);
        AssertOneErrorLine(r, $"0x{cut:x}", "NT_PRSTATUS", "no threads");
    }

    [Fact]
    public void A_core_whose_notes_hold_no_thread_is_refused_as_malformed()
    {
        byte[] core = Sample("mysqld-healthy");
        foreach (var n in Notes(core).Where(n => n.Type == NtPrstatus))
            BinaryPrimitives.WriteUInt32LittleEndian(core.AsSpan((int)n.At + 8), 0x7777);
        var r = Coresleuth.Run("analyze", Copy("no-prstatus.core", core));
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        AssertOneErrorLine(r, $"0x{NoteSegment(core).Offset:x}", "no usable NT_PRSTATUS", "no threads");
    }

    [Fact]
    public void A_core_cut_among_its_thread_notes_says_in_the_diagnosis_what_it_could_not_check_and_fails_the_fifo_check()
    {
        byte[] core = Sample("mysqld-ghost-fifo");
        const int cut = 20000;
        var notes = Notes(core);
        int read = notes.Count(n => n.Type == NtPrstatus && n.DescEnd <= cut);
        int all = notes.Count(n => n.Type == NtPrstatus);
        Assert.InRange(read, 1, all - 1); // the cut must fall among the threads for this test to mean anything
        string path = Copy("cut-20k.core", core[..cut]);

        var text = Coresleuth.Run("analyze", path, "--fail-on", "fifo");
        Assert.True(text.ExitCode == Program.ExitFindings, text.ToString());
        string diagnosis = Diagnosis(text.Stdout);
        Assert.Contains("INCOMPLETE", diagnosis);
        Assert.Contains($"{read} threads read", diagnosis);
        Assert.Contains($"cut at file offset 0x{cut:x}", diagnosis);
        Assert.DoesNotContain("No thread waits for another and none is blocked opening a FIFO.", diagnosis);
        AssertOneErrorLine(text, "--fail-on fifo", "incomplete", $"{read} threads read");

        // Without --fail-on the report is written and the exit code is 0, the diagnosis saying the same.
        var plain = Coresleuth.Run("analyze", path);
        Assert.True(plain.ExitCode == Program.ExitSuccess, plain.ToString());
        Assert.Empty(plain.Stderr);
        Assert.Contains("INCOMPLETE", Diagnosis(plain.Stdout));

        var markdown = Coresleuth.Run("analyze", path, "--format", "markdown");
        int md = markdown.Stdout.IndexOf("### Diagnosis", StringComparison.Ordinal);
        Assert.True(md >= 0, markdown.ToString());
        string mdDiagnosis = markdown.Stdout[md..markdown.Stdout.IndexOf("\n### ", md + 5, StringComparison.Ordinal)];
        Assert.Contains("INCOMPLETE", mdDiagnosis);
        Assert.Contains($"{read} threads read", mdDiagnosis);
        // The INCOMPLETE verdict, its limits and the warnings read in the rendered Markdown as in the text report.
        MarkdownFacts.AssertSameFacts(plain.Stdout, markdown.Stdout);

        var json = Coresleuth.Run("analyze", path, "--format", "json", "--fail-on", "fifo");
        Assert.Equal(Program.ExitFindings, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        var incomplete = doc.RootElement.GetProperty("incomplete").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(incomplete, s => s.Contains($"{read} threads read", StringComparison.Ordinal));
        Assert.Contains(incomplete, s => s.Contains("wait messages", StringComparison.Ordinal));
        Assert.Equal(read, doc.RootElement.GetProperty("process").GetProperty("threadCount").GetInt32());
    }

    [Fact]
    public void A_thread_that_kinfo_proc_lists_but_whose_notes_are_unusable_is_counted_as_not_checked()
    {
        byte[] core = Sample("mysqld-healthy");
        var statuses = Notes(core).Where(n => n.Type == NtPrstatus).ToList();
        var spoiled = statuses[5];
        // pr_pid, the LWP, is at offset 40 of struct prstatus (spec §3.1).
        int lwp = BinaryPrimitives.ReadInt32LittleEndian(core.AsSpan((int)spoiled.DescStart + 40));
        BinaryPrimitives.WriteUInt32LittleEndian(core.AsSpan((int)spoiled.At + 8), 0x7777);
        string path = Copy("spoiled.core", core);

        var r = Coresleuth.Run("analyze", path, "--fail-on", "fifo", "--format", "json");
        Assert.True(r.ExitCode == Program.ExitFindings, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Empty(doc.RootElement.GetProperty("findings").EnumerateArray());
        var incomplete = doc.RootElement.GetProperty("incomplete").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(incomplete, s => s.Contains($"{statuses.Count - 1} of {statuses.Count} threads read", StringComparison.Ordinal)
                                         && s.Contains($"LWP {lwp}", StringComparison.Ordinal));
        Assert.Contains("incomplete", r.Stderr);
    }

    [Fact]
    public void A_core_cut_after_its_notes_names_the_memory_a_finding_needed()
    {
        byte[] core = Sample("mysqld-ghost-fifo");
        var (offset, size) = NoteSegment(core);
        string path = Copy("notes-only.core", core[..(int)(offset + size)]);

        var r = Coresleuth.Run("analyze", path, "--format", "json", "--fail-on", "fifo");
        Assert.True(r.ExitCode == Program.ExitFindings, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var finding = Assert.Single(doc.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, finding.GetProperty("path").ValueKind);
        int lwp = finding.GetProperty("lwp").GetInt32();
        var incomplete = doc.RootElement.GetProperty("incomplete").EnumerateArray().Select(e => e.GetString()!).ToList();
        var memory = Assert.Single(incomplete);
        Assert.Contains("memory is cut", memory);
        Assert.Contains($"LWP {lwp}", memory);
        // Every thread's notes are there: none is counted as lost.
        Assert.Equal(Notes(core).Count(n => n.Type == NtPrstatus), doc.RootElement.GetProperty("process").GetProperty("threadCount").GetInt32());
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void A_whole_sample_is_complete(string sample)
    {
        var r = Coresleuth.Run("analyze", SampleSet.CorePath(sample), "--format", "json");
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Empty(doc.RootElement.GetProperty("incomplete").EnumerateArray());
    }

    [CorpusFact]
    public void A_core_whose_memory_was_stripped_but_has_all_its_thread_notes_is_complete_and_the_stripping_a_warning()
    {
        var r = Coresleuth.Run("analyze", Corpus.Core("lldb-x86-64-freebsd14-multithread.core"), "--fail-on", "fifo");
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        Assert.Empty(r.Stderr);
        string diagnosis = Diagnosis(r.Stdout);
        Assert.Contains("No thread waits for another and none is blocked opening a FIFO.", diagnosis);
        Assert.DoesNotContain("INCOMPLETE", diagnosis);
        Assert.Contains("4 threads", r.Lines[1]);
        Assert.Contains("PT_LOAD segments extend past the end of the file", r.Stdout[r.Stdout.IndexOf("\nWarnings (", StringComparison.Ordinal)..]);
        // The warning reads the same in the rendered Markdown.
        MarkdownFacts.AssertSameFacts(r.Stdout, Coresleuth.Run("analyze", Corpus.Core("lldb-x86-64-freebsd14-multithread.core"), "--format", "markdown").Stdout);
    }
}
