using CoreSleuth.FreeBsd;

namespace CoreSleuth.Model;

/// <summary>
/// One open descriptor of the process, where the core lists them (FreeBSD's NT_PROCSTAT_FILES;
/// a Linux core has no such note). What only FreeBSD's kinfo_file says (its type number, open
/// flags, socket addresses, vnode details) is under <see cref="FreeBsd"/>.
/// </summary>
/// <param name="Descriptor">The descriptor's number, or a negative value for what the process holds without one (its text, working and root directories…).</param>
/// <param name="DescriptorName">As procstat and gdb's <c>info proc files</c> show it: "text", "cwd", "root", "jail", "trace", "ctty" or the number.</param>
/// <param name="Kind">What it is, as procstat names it: "file", "dir", "chr", "fifo", "socket", "pipe", "kqueue"…</param>
/// <param name="Path">Its path as the core records it (raw: sanitize before display); empty when it has none.</param>
/// <param name="Position">The file position, or null when the system says it has none.</param>
public sealed record OpenFile(int Descriptor, string DescriptorName, string Kind, string Path, long? Position)
{
    /// <summary>FreeBSD's kinfo_file as written (spec §5), for what only it says; null on other systems.</summary>
    public KinfoFile? FreeBsd { get; init; }
}
