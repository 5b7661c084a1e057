using CoreSleuth.Analysis.MySql;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Linux.Syscalls;
using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Model;
using static CoreSleuth.Analysis.Diagnosis.BlockedFifoOpen;

namespace CoreSleuth.Analysis.Diagnosis;

/// <summary>
/// Linux's waits: a Linux core records none (no wait messages, no wait channels); a thread's
/// wait channel read on the live host (<c>--wchan</c>, /proc/PID/task/TID/wchan) stands in.
/// </summary>
public sealed class LinuxWaitCatalogue : IWaitCatalogue
{
    public static LinuxWaitCatalogue Instance { get; } = new();

    private LinuxWaitCatalogue() { }

    public WaitMessageInfo? Lookup(CoreThread thread) => null;

    public string? WaitChannelsUnused => null;

    /// <summary>
    /// A Linux thread blocked opening a FIFO: it sleeps in fifo_open → wait_for_partner
    /// (fs/pipe.c) until the other end is opened. A Linux core has neither wait channels nor an
    /// open-file list, so the core alone makes it likely, never certain: the thread is in
    /// open/openat (orig_rax), not returned (rax −ERESTARTSYS), with flags that wait for a peer
    /// (O_RDONLY or O_WRONLY without O_NONBLOCK), and the path is no mapped file. The thread's
    /// wait channel read on the live host (<c>--wchan</c>) makes it certain when it is
    /// wait_for_partner or fifo_open, and rules it out when it is anything else.
    /// </summary>
    public BlockedFifoOpen? DiagnoseFifoOpen(ThreadAnalysis thread, CoreFile core, MemoryTextSearch memoryText)
    {
        var t = thread.Thread;
        if (thread.Site is not { OpenArguments: { } at } site) return null;
        if (site.Position is not SyscallPosition.InKernel) return null;
        string? wchan = thread.WaitChannel;
        bool fifoWait = wchan is not null && WaitChannels.IsFifoOpen(wchan);
        if (wchan is not null && !fifoWait && wchan != "0") return null; // asleep on something else

        var args = site.Arguments;
        ulong pathAddress = args[at.Path];
        uint flags = (uint)args[at.Flags];
        if (!LinuxOpenFlags.WaitsForFifoPeer(flags)) return null; // O_RDWR, O_NONBLOCK, O_PATH opens never wait for a peer

        var pathString = core.Memory.ReadCString(pathAddress, LinuxSyscallDecoder.MaxPathBytes);
        string? path = pathString.Status == Memory.CoreStringStatus.Complete ? pathString.Text : null;
        bool mapped = path is not null && core.Process.Linux?.MappedFiles.Any(f => f.Path == path) == true;
        if (mapped) return null;

        var direction = LinuxOpenFlags.Direction(flags);
        string call = thread.Syscall?.FormatCall() ?? $"syscall {site.Number}";
        var evidence = new List<string>();
        if (fifoWait)
            evidence.Add($"--wchan: LWP {t.Lwp} sleeps in {wchan}: fifo_open is waiting for a {(direction == OpenDirection.Read ? "writer" : "reader")} (fs/pipe.c: fifo_open, wait_for_partner)");
        evidence.Add($"it is in {call}, not returned");
        evidence.AddRange(site.Evidence);
        evidence.Add($"the flags ({LinuxOpenFlags.Format(flags)}) open {(direction == OpenDirection.Read ? "for reading" : "for writing")} without O_NONBLOCK: on a FIFO such an open sleeps until the other end is opened (fifo(7))");
        evidence.Add(path is null
            ? $"the path at 0x{pathAddress:x} is unavailable: {pathString.Reason ?? pathString.Status.ToString()}"
            : core.Process.Linux?.Files is null
                ? "the core has no NT_FILE note to check the path against the mapped files"
                : $"\"{path}\" is none of the files the process maps (NT_FILE); a Linux core has no list of open files to check it against");
        var confidence = fifoWait ? Confidence.Certain : Confidence.Likely;
        if (!fifoWait)
            evidence.Add("not certain: a Linux core records no wait channel and no file types, so it cannot show that the file is a FIFO; an open of a slow file system sleeps in openat too. " +
                         "Give the thread's wait channel from the live host with --wchan (wait_for_partner makes it certain)");
        var statements = StatementEvidence(path, memoryText, evidence);
        if (thread.Session is { } session && thread.Join is { } join)
            evidence.Add(JoinEvidence(thread, session, join, "glibc nptl/descr.h: struct pthread, at the thread's fs_base"));

        var advice = new List<string>();
        if (!fifoWait && core.Producer != CoreProducer.Kernel)
        {
            string where = core.Process.Pid is { } pid ? $"/proc/{pid}/task/{t.Lwp}/wchan" : $"/proc/PID/task/{t.Lwp}/wchan";
            advice.Add($"Confirm on the live host: `cat {where}` prints wait_for_partner while the thread waits in fifo_open" +
                       (path is null ? "." : $", and `ls -l {ShellWord.Quote(path)}` shows type p for a FIFO (or nothing, if it was unlinked)."));
        }
        advice.AddRange(Advise(path, direction, core.Producer, core.Process.Signal));
        return new BlockedFifoOpen(t.Lwp, thread.Pthread, t.Name, path, flags, direction, confidence, thread.Session, false,
            statements, evidence, advice) { PathAddress = pathAddress, Join = thread.Join, Abi = site.Abi };
    }
}
