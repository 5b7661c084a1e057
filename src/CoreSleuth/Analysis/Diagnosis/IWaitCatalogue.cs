using CoreSleuth.Analysis.MySql;
using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.Diagnosis;

/// <summary>
/// One system's record of what a sleeping thread waits for: FreeBSD's wait messages in the core,
/// or none in the core and wait channels from the live host (Linux, <c>--wchan</c>).
/// </summary>
public interface IWaitCatalogue
{
    /// <summary>The catalogue entry of the wait the core records for <paramref name="thread"/>; null when it records none.</summary>
    WaitMessageInfo? Lookup(CoreThread thread);

    /// <summary>Why wait channels read on the live host (<c>--wchan</c>) are not used for this system's cores; null when they are.</summary>
    string? WaitChannelsUnused { get; }

    /// <summary>
    /// Whether <paramref name="thread"/> is blocked opening a FIFO with no peer (spec §8.1), from
    /// the waits this system records: a FreeBSD wait message (fifoor, fifoow), a Linux wait channel
    /// (wait_for_partner); without one, likely from the open call and its flags.
    /// </summary>
    BlockedFifoOpen? DiagnoseFifoOpen(ThreadAnalysis thread, CoreFile core, MemoryTextSearch memoryText);
}
