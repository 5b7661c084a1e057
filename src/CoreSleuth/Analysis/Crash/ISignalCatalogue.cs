using CoreSleuth.Analysis.Modules;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Crash;

/// <summary>One system's signals: numbers by name, si_code values, and how its kernel cores record the fatal one.</summary>
public interface ISignalCatalogue
{
    /// <summary>The signal's name (SIGSEGV); null for a number the system does not define.</summary>
    string? Name(int signal);

    /// <summary>The signal's description as the system words it ("Segmentation fault"); null when the system has none to show.</summary>
    string? Description(int signal);

    /// <summary>An si_code of <paramref name="signal"/> by name and meaning; no name for a value the system does not define.</summary>
    CodeName Code(int signal, int code);

    /// <summary>The signal that made the kernel dump the process and the thread that took it; null when the core records none.</summary>
    FatalSignal? FindFatal(CoreFile core, ModuleMap? modules, IReadOnlyList<ThreadAnalysis> threads);
}
