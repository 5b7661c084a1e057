using CoreSleuth.Analysis.MySql;
using CoreSleuth.Analysis.Syscalls;
using CoreSleuth.FreeBsd;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using static CoreSleuth.Analysis.Diagnosis.BlockedFifoOpen;

namespace CoreSleuth.Analysis.Diagnosis;

/// <summary>
/// FreeBSD's waits: the wait message (ki_wmesg) kinfo_proc records of every sleeping thread, read
/// with the catalogue of FreeBSD's messages (<see cref="WaitMessageCatalogue"/>); wait channels
/// from /proc have no place here.
/// </summary>
public sealed class FreeBsdWaitCatalogue : IWaitCatalogue
{
    public static FreeBsdWaitCatalogue Instance { get; } = new();

    private FreeBsdWaitCatalogue() { }

    public WaitMessageInfo? Lookup(CoreThread thread) => thread.WaitMessage is { } w ? WaitMessageCatalogue.Lookup(w) : null;

    public string? WaitChannelsUnused => "wait channels from /proc are for Linux cores; this FreeBSD core has its own wait messages, so it is not used";

    /// <summary>
    /// A FreeBSD thread blocked opening a FIFO (spec §8.1). Certain when it
    /// sleeps with fifoor/fifoow; likely when the wait message is missing (kernel or gdb cores,
    /// or gcore's SIGSTOP thread) but it is in or restarting an open that would block on a FIFO
    /// and the path is not among the open files.
    /// </summary>
    public BlockedFifoOpen? DiagnoseFifoOpen(ThreadAnalysis thread, CoreFile core, MemoryTextSearch memoryText)
    {
        var t = thread.Thread;
        string? wmesg = t.WaitMessage;
        bool fifoWait = wmesg is "fifoor" or "fifoow";
        if (wmesg is not null && !fifoWait) return null; // asleep on something else
        if (thread.Site is not { OpenArguments: { } at } site) return null;
        if (site.Position is SyscallPosition.NotInSyscall or SyscallPosition.ReturnedError) return null;

        var args = site.Arguments;
        ulong pathAddress = args[at.Path];
        uint flags = (uint)args[at.Flags];
        string? blocksWith = OpenFlagDecoder.FifoWaitMessage(flags);
        if (!fifoWait && blocksWith is null) return null; // O_NONBLOCK / O_RDWR opens never sleep in fifo_open

        var pathString = core.Memory.ReadCString(pathAddress, SyscallDecoder.MaxPathBytes);
        string? path = pathString.Status == CoreStringStatus.Complete ? pathString.Text : null;
        bool inOpenFiles = path is not null && core.Process.OpenFiles.Any(f => f.Path == path);
        if (!fifoWait && inOpenFiles) return null;

        var direction = wmesg switch { "fifoor" => OpenDirection.Read, "fifoow" => OpenDirection.Write, _ => OpenFlagDecoder.Direction(flags) };
        var evidence = new List<string>();
        string call = thread.Syscall?.FormatCall() ?? $"syscall {site.Number}";
        if (fifoWait)
            evidence.Add($"LWP {t.Lwp} sleeps with wait message \"{wmesg}\": fifo_open is waiting for a {(direction == OpenDirection.Read ? "writer" : "reader")} (sys/fs/fifofs/fifo_vnops.c: fifo_open)");
        evidence.Add($"it is in {call} ({PositionText(site.Position)})");
        evidence.AddRange(site.Evidence);
        evidence.Add(path is null
            ? $"the path at 0x{pathAddress:x} is unavailable: {pathString.Reason ?? pathString.Status.ToString()}"
            : inOpenFiles
                ? $"\"{path}\" is among the process's open files (an earlier or other open of it succeeded)"
                : core.Process.NotesPresent.Contains(NoteType.Name(NoteType.ProcStatFiles))
                    ? $"\"{path}\" is not among the process's open files: the descriptor is installed only after fifo_open returns (sys/kern/vfs_syscalls.c: kern_openat)"
                    : "the core has no open-file list (NT_PROCSTAT_FILES) to check the path against");
        Confidence confidence = fifoWait ? Confidence.Certain : Confidence.Likely;
        if (!fifoWait)
            evidence.Add("not certain: " + (core.Producer switch
            {
                CoreProducer.Kernel => "the kernel aborts interruptible sleeps before dumping, so no wait message survives (sys/kern/kern_sig.c: sigexit calls thread_single); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
                CoreProducer.Gdb => "gdb cores carry no wait messages (no NT_PROCSTAT_PROC note; gdb/fbsd-tdep.c: fbsd_make_corefile_notes); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
                _ => "the thread has no wait message (it may be the thread that took gcore's SIGSTOP, whose sleep was aborted); the open would block on a FIFO with these flags, but the core cannot show that the file is a FIFO",
            }));

        var statements = StatementEvidence(path, memoryText, evidence);
        if (thread.Session is { } session && thread.Join is { } join) evidence.Add(JoinEvidence(thread, session, join));

        return new BlockedFifoOpen(t.Lwp, thread.Pthread, t.Name, path, flags, direction, confidence, thread.Session, inOpenFiles,
            statements, evidence, Advise(path, direction, core.Producer, core.Process.Signal)) { PathAddress = pathAddress, Join = thread.Join, Abi = site.Abi };
    }
}
