using System.Globalization;
using CoreSleuth.Analysis;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>
/// The core file and who wrote it: the same object, built here, in the JSON of every command
/// (docs/json.md). Null means the core does not say.
/// </summary>
/// <param name="File">The path the core was opened from, as given.</param>
/// <param name="Osreldate">The system's <c>__FreeBSD_version</c> (which syscall numbers and structures apply).</param>
/// <param name="OsreldateSource">Where <paramref name="Osreldate"/> came from: AT_OSRELDATE, pr_osreldate or NT_PROCSTAT_OSREL.</param>
/// <param name="ProducerOsreldate">pr_osreldate of NT_PRSTATUS (spec §3.1): the running kernel's version in a kernel core, the gcore binary's in a gcore core.</param>
public sealed record ReportCore(
    string File, string Producer, string Arch, int? Osreldate, string? OsreldateSource, string? Release,
    int? ProducerOsreldate, string? ProducerRelease, IReadOnlyList<string> ProducerEvidence)
{
    public static ReportCore Build(CoreFile core, string path)
    {
        var p = core.Process;
        int? prOsRel = core.Threads.Count > 0 && core.Threads[0].FreeBsd?.Status is { OsRelDate: not 0 } status ? status.OsRelDate : null;
        int? osrel = p.FreeBsd?.OsRelDate;
        return new ReportCore(path, ProducerName(core.Producer), "amd64", osrel, p.FreeBsd?.OsRelDateSource,
            FreeBsdRelease.FromOsRelDate(osrel)?.ToString(), prOsRel, FreeBsdRelease.FromOsRelDate(prOsRel)?.ToString(), core.ProducerEvidence)
        {
            Os = CoreOsDetection.JsonName(core.Os),
        };
    }

    /// <summary>The system of the dumped process: "freebsd" or "linux" (osreldate and releases are FreeBSD's, null for Linux).</summary>
    public string Os { get; init; } = "freebsd";

    /// <summary>How the text reports name the system: "FreeBSD 14.1-RELEASE (osreldate 1401000)" or "Linux".</summary>
    internal string SystemText => Os == "linux" ? "Linux" : $"FreeBSD {Release ?? "?"} (osreldate {(Osreldate is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-")})";

    internal static string ProducerName(CoreProducer producer) => producer switch
    {
        CoreProducer.Gcore => "gcore", CoreProducer.Kernel => "kernel", CoreProducer.Gdb => "gdb", _ => "unknown",
    };
}

/// <summary>
/// The dumped process: the same object in the JSON of every command. <see cref="Pid"/>,
/// <see cref="Ppid"/> and <see cref="Command"/> are null when the core does not record them (gdb
/// cores have no kinfo_proc).
/// </summary>
/// <param name="Signal">The signal that ended the process (kernel cores) by name, e.g. "SIGSEGV" (its number as text when it has no name); null when none.</param>
public sealed record ReportProcess(
    int? Pid, int? Ppid, uint? Uid, string? Command, string? Arguments, IReadOnlyList<string>? ArgumentVector, string? ArgumentsSource,
    int ThreadCount, string? Signal, int? SignalNumber, string? SignalDescription,
    DateTime? StartTime, string? Emulation, string? WorkingDirectory, string? Executable)
{
    public static ReportProcess Build(CoreFile core)
    {
        var p = core.Process;
        var signals = SystemConventions.Of(core).Signals;
        int? signal = p.Signal == 0 ? null : p.Signal;
        return new ReportProcess(p.Pid, p.ParentPid, p.Uid, p.Command, p.Arguments, p.ArgumentVector, p.ArgumentsSource,
            core.Threads.Count,
            signal is { } s ? signals.Name(s) ?? s.ToString(CultureInfo.InvariantCulture) : null, signal,
            signals.Description(p.Signal),
            p.StartTime?.UtcDateTime, p.FreeBsd?.Emulation, p.WorkingDirectory, p.Executable);
    }
}

/// <summary>The names of the JSON contracts, one per command (docs/json.md, docs/schemas/).</summary>
public static class ReportSchemas
{
    public const string Analyze = "coresleuth.analyze/2", Info = "coresleuth.info/1", Threads = "coresleuth.threads/1",
        Backtrace = "coresleuth.bt/1", Registers = "coresleuth.regs/1", Memory = "coresleuth.mem/1", Handles = "coresleuth.handle/1", Files = "coresleuth.files/1";
}
