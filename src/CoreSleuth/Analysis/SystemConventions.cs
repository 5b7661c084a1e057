using CoreSleuth.Analysis.Crash;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.FreeBsd;
using CoreSleuth.Linux;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis;

/// <summary>
/// What the analysis reads differently for the system a core comes from, chosen once from the
/// system told from the notes (<see cref="CoreFile.Os"/>): the analysis asks these instead of
/// comparing systems. A new system is one more set of implementations and one more case here.
/// </summary>
public sealed record SystemConventions(ISystemCallAbi Syscalls, ISignalCatalogue Signals, IWaitCatalogue Waits, IThreadLibrary ThreadLibrary, IAuxvCatalogue Auxv)
{
    private static readonly SystemConventions FreeBsdConventions = new(FreeBsdSystemCallAbi.Instance, FreeBsdSignalCatalogue.Instance, FreeBsdWaitCatalogue.Instance, LibthrThreadLibrary.Instance, FreeBsdAuxvCatalogue.Instance);

    private static readonly SystemConventions LinuxConventions = new(LinuxSystemCallAbi.Instance, LinuxSignalCatalogue.Instance, LinuxWaitCatalogue.Instance, GlibcThreadLibrary.Instance, LinuxAuxvCatalogue.Instance)
    {
        LocalFilesWithoutSysroot = true,
        SeparateDebugFiles = true,
    };

    /// <summary>
    /// Whether, without --sysroot, the files the process mapped are read where they are on this
    /// machine: gdb's gcore and the Linux kernel leave file-backed code out of the core, and a Linux
    /// core is mostly read on the host that wrote it. A FreeBSD core needs its --sysroot.
    /// </summary>
    public bool LocalFilesWithoutSysroot { get; init; }

    /// <summary>Whether modules' separate debug files (build-id, .gnu_debuglink) are looked for in the sysroot.</summary>
    public bool SeparateDebugFiles { get; init; }

    public static SystemConventions For(CoreOs os) => os switch
    {
        CoreOs.Linux => LinuxConventions,
        _ => FreeBsdConventions,
    };

    public static SystemConventions Of(CoreFile core) => For(core.Os);
}
