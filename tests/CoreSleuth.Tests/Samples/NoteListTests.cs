using CoreSleuth.Testing.Cores;
using CoreSleuth.Tests.Writer;

namespace CoreSleuth.Tests.Samples;

/// <summary>A theory that needs binutils readelf.</summary>
public sealed class ReadelfSampleTheoryAttribute : TheoryAttribute
{
    public ReadelfSampleTheoryAttribute()
    {
        if (!ExternalTools.IsOnPath(ExternalTools.Readelf)) Skip = "binutils readelf is not on PATH";
    }
}

/// <summary><c>readelf -W -n</c> lists each sample's notes in the order its producer writes them (spec §2.3).</summary>
public class NoteListTests
{
    [ReadelfSampleTheory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Readelf_lists_the_intended_notes_in_the_intended_order(string name)
    {
        var b = SampleSet.Build(name);
        var notes = ReadelfOutput.Notes(SampleSet.CorePath(name));
        Assert.Equal(Expected(b), notes.Select(n => (n.Owner, n.TypeName)));

        // pr_pid of each NT_PRSTATUS (offset 40, spec §3.1) is the LWP, in note order.
        var prstatus = notes.Where(n => n.TypeName == "NT_PRSTATUS").Select(n => n.I32(40));
        Assert.Equal(Expectations.NoteOrder(b), prstatus);
    }

    /// <summary>The note list of spec §2.3 for the sample's producer and release.</summary>
    private static List<(string Owner, string Type)> Expected(Testing.Scenarios.SampleBuild b)
    {
        var producer = Expectations.Producer(b);
        int osrel = b.Process.Image.OsRelDate;
        // gdb may name its BFD-written notes "CORE" (spec doubt #2); the gdb sample uses "FreeBSD".
        string generic = producer == CoreProducer.Gdb ? b.Scenario.GdbNoteName ?? "CORE" : "FreeBSD";
        var list = new List<(string, string)> { (generic, "NT_PRPSINFO") };
        foreach (var _ in Expectations.NoteOrder(b))
        {
            list.Add((generic, "NT_PRSTATUS"));
            list.Add((generic, "NT_FPREGSET"));
            if (producer == CoreProducer.Gdb)
            {
                list.Add(("FreeBSD", "NT_X86_XSTATE"));
                list.Add(("FreeBSD", "NT_X86_SEGBASES"));
                continue;
            }
            list.Add(("FreeBSD", "NT_THRMISC"));
            if (osrel >= 1101000) list.Add(("FreeBSD", "NT_PTLWPINFO"));   // from 11.1
            list.Add(("FreeBSD", "NT_X86_XSTATE"));
        }
        if (producer == CoreProducer.Gdb)
        {
            list.AddRange([("FreeBSD", "NT_PROCSTAT_AUXV"), ("FreeBSD", "NT_PROCSTAT_VMMAP"), ("FreeBSD", "NT_PROCSTAT_PSSTRINGS"), ("GDB", "NT_GDB_TDESC")]);
            return list;
        }
        foreach (var type in new[] { "PROC", "FILES", "VMMAP", "GROUPS", "UMASK", "RLIMIT", "OSREL", "PSSTRINGS", "AUXV" })
            list.Add(("FreeBSD", "NT_PROCSTAT_" + type));
        return list;
    }
}
