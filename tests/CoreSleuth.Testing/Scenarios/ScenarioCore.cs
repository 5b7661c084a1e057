using System.Net;
using System.Text;
using System.Text.Json;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;
using CoreThreadSpec = CoreSleuth.Testing.Cores.ThreadSpec;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>How a producer left a thread that was asleep in a system call (spec §7.2, §7.3).</summary>
public enum ThreadStop
{
    /// <summary>Still on its sleep queue: rip after <c>syscall</c>, rax = number, wait message kept.</summary>
    Asleep,
    /// <summary>Sleep aborted with ERESTART: rip back at <c>syscall</c>, r10 = rcx, no wait message.</summary>
    Restart,
    /// <summary>Sleep aborted and the call failed with EINTR: rax = 4, CF set, rip after <c>syscall</c>, no wait message.</summary>
    Eintr,
    /// <summary>Not asleep: the call completed with 0 (rax = 0, CF clear, rip after <c>syscall</c>), as thr_kill(2) before the signal it sent is acted on.</summary>
    Returned,
}

/// <summary>
/// Turns a <see cref="ScenarioProcess"/> into the <see cref="CoreSpec"/> its producer would write:
/// first the live process (every thread asleep in its system call, with the wait message, wait
/// channel and TDF_SINTR the kernel shows, spec §4.1, §8), then what gcore's or gdb's attach
/// SIGSTOP, or the kernel's thread_single before a dump, did to each thread (spec §7.3).
/// </summary>
public static class ScenarioCore
{
    public const int SigStop = 17, Eintr = 4;
    /// <summary>si_code of kern_psignal (ptrace attach's SIGSTOP) and of kill(2).</summary>
    public const int SiKernel = 0x10006, SiUser = 0x10001;
    /// <summary>ki_acflag AXSIG: killed by a signal (set in sigexit before the dump).</summary>
    public const ushort AcFlagXSig = 0x10;
    /// <summary>sys/x86/include/trap.h T_PAGEFLT; tf_err of a user-mode read of a non-present page (PGEX_U, sys/amd64/include/pmap.h).</summary>
    public const int TPageFault = 12, PgexU = 0x4;

    private const ulong KernelBase = 0xfffff80000000000UL;

    public static CoreProducer ProducerOf(Scenario s) => s.Producer switch
    {
        "gcore" => CoreProducer.Gcore,
        "kernel" => CoreProducer.Kernel,
        "gdb" => CoreProducer.Gdb,
        _ => throw new InvalidDataException($"producer \"{s.Producer}\" is not gcore, kernel or gdb"),
    };

    /// <summary>Syscalls whose kernel code turns an aborted sleep's ERESTART into EINTR (spec §7.2, §8.2): poll, select, kevent, nanosleep.</summary>
    public static bool FailsWithEintr(int syscall) => syscall is 209 or 93 or 363 or 560 or 240;

    /// <summary>The VM map entry of a process-image region, with its contents (the producer's dump rule decides what is written).</summary>
    public static MappingSpec Mapping(MemoryRegion r) => new()
    {
        Start = r.Start,
        End = r.End,
        Protection = (int)r.Protection,
        Type = (int)r.Type,
        Flags = (int)r.Flags,
        Path = r.Path ?? "",
        Offset = r.FileOffset,
        Contents = r.Contents,
    };

    public static CoreSpec Build(ScenarioProcess process)
    {
        var s = process.Scenario;
        var image = process.Image;
        var producer = ProducerOf(s);
        int osrel = image.OsRelDate;

        var live = image.Threads.Select((t, i) => LiveThread(process.Threads[i], t, i)).ToList();
        int mainLwp = image.Threads[0].Lwp;
        var threads = new List<CoreThreadSpec>();
        int? signalled = null;
        int? curSig = null;
        for (int i = 0; i < live.Count; i++)
        {
            var st = process.Threads[i];
            var t = live[i];
            int syscall = image.Threads[i].SyscallNumber;
            ThreadStop aborted = FailsWithEintr(syscall) ? ThreadStop.Eintr : ThreadStop.Restart;
            bool interruptible = st.Model.Interruptible;
            switch (producer)
            {
                case CoreProducer.Gcore or CoreProducer.Gdb:
                {
                    // PT_ATTACH's SIGSTOP goes to one thread, whose interruptible sleep is aborted; the
                    // others stay on their sleep queues, shown as SSTOP (spec §4.1, §7.3).
                    int receiver = s.StopReceiver ?? mainLwp;
                    if (t.Lwp == receiver)
                    {
                        t = Apply(t, interruptible ? aborted : ThreadStop.Asleep) with
                        {
                            LwpInfo = new LwpInfo { Event = PlEvent.Signal, Flags = PlFlags.Si, SigInfo = new SigInfo { Signo = SigStop, Code = SiKernel, Pid = s.Process.Tracer } },
                        };
                    }
                    t = t with { Kinfo = t.Kinfo with { Stat = KiStat.Stop } };
                    break;
                }
                case CoreProducer.Kernel:
                {
                    // sigexit → thread_single(SINGLE_NO_EXIT): weed_inhib aborts every interruptible
                    // sleep; the dumping thread took the signal itself and runs (spec §7.3).
                    var sig = s.Signal ?? throw new InvalidDataException("a kernel scenario needs \"signal\": {\"lwp\": …, \"signo\": …}");
                    signalled = sig.Lwp;
                    curSig = sig.Signo;
                    if (t.Lwp == sig.Lwp)
                    {
                        t = Apply(t, interruptible ? aborted : ThreadStop.Asleep);
                        t = t with
                        {
                            Kinfo = t.Kinfo with { Stat = KiStat.Run, TdFlags = t.Kinfo.TdFlags & ~TdFlags.Boundary },
                            LwpInfo = new LwpInfo { Event = PlEvent.Signal, Flags = PlFlags.Si, SigInfo = SignalInfo(sig, image.Threads[i]) },
                        };
                    }
                    else
                    {
                        var before = t;
                        t = Apply(t, interruptible ? aborted : ThreadStop.Asleep);
                        // An aborted sleeper suspends in thread_single: thread_suspend_one → sched_sleep sets
                        // td_slptick = ticks, so ki_slptime = (ticks − td_slptick) / hz is 0 at the dump.
                        bool suspended = before.Kinfo.WaitMessage.Length > 0 && t.Kinfo.WaitMessage.Length == 0;
                        t = t with { Kinfo = t.Kinfo with { Stat = KiStat.Stop, SlpTime = suspended ? 0 : t.Kinfo.SlpTime } };
                    }
                    break;
                }
            }
            threads.Add(t);
        }

        // A per-thread "stop" override replaces the producer's choice for registers and wait state.
        for (int i = 0; i < threads.Count; i++)
        {
            if (process.Threads[i].Model.Stop is not { } stop) continue;
            var forced = Apply(live[i], ParseStop(stop, live[i].Lwp));
            threads[i] = threads[i] with
            {
                Registers = forced.Registers,
                Kinfo = threads[i].Kinfo with { WaitMessage = forced.Kinfo.WaitMessage, WaitChannel = forced.Kinfo.WaitChannel, TdFlags = forced.Kinfo.TdFlags },
            };
        }

        bool traced = producer != CoreProducer.Kernel;
        ulong flag = ProcFlags.InMem | ProcFlags.Exec | (threads.Count > 1 ? ProcFlags.HadThreads : 0)
                     | (traced ? ProcFlags.Traced | ProcFlags.StoppedTrace : threads.Count > 1 ? ProcFlags.StoppedSingle : 0);
        var p = s.Process;
        var process1 = new ProcessSpec
        {
            Pid = p.Pid,
            Ppid = p.Ppid,
            Pgid = p.Pgid,
            Sid = p.Sid,
            Uid = p.Uid,
            Rgid = p.Gid,
            Groups = p.Groups ?? [p.Gid],
            Login = p.Login,
            Command = image.Command,
            Arguments = image.Arguments,
            Start = new TimeVal(p.Start.ToUnixTimeSeconds(), 0),
            Flag = flag,
            KiFlag = 0,                       // a daemon: no controlling terminal, not a session leader
            Tdev = ulong.MaxValue,            // NODEV
            TdevFreeBsd11 = uint.MaxValue,
            Tracer = traced && osrel >= Cores.FreeBsdVersion.IntCpuFields ? p.Tracer : 0,
            AcFlag = producer == CoreProducer.Kernel ? AcFlagXSig : (ushort)0,
            ProcPtr = KernelBase + 0x0a000000,
            VmSpacePtr = KernelBase + 0x0a100000,
            FdPtr = KernelBase + 0x0a200000,
            TextVpPtr = KernelBase + 0x0a300000,
            ArgsPtr = KernelBase + 0x0a400000,
        };

        var limits = CoreNotes.DefaultRlimits(osrel).ToArray();
        limits[3] = new Rlimit((long)s.Layout.StackLimit, (long)s.Layout.StackLimit); // RLIMIT_STACK: where libthr puts the thread stacks

        return new CoreSpec
        {
            Producer = producer,
            OsRelDate = osrel,
            Process = process1,
            Threads = threads,
            Mappings = Mappings(process),
            OpenFiles = [.. s.OpenFiles.Select(OpenFile)],
            Auxv = [.. image.Auxv.Select(a => new Cores.AuxvEntry((long)a.Type, a.Value))],
            PsStrings = image.PsStringsAddress,
            Rlimits = limits,
            SignalledLwp = signalled,
            CurSig = curSig,
            Gdb = s.GdbNoteName is { } name ? new GdbOptions { GenericNoteName = name } : new GdbOptions(),
        };
    }

    private static ThreadStop ParseStop(string text, int lwp) => text switch
    {
        "asleep" => ThreadStop.Asleep,
        "restart" => ThreadStop.Restart,
        "eintr" => ThreadStop.Eintr,
        "returned" => ThreadStop.Returned,
        _ => throw new InvalidDataException($"LWP {lwp}: stop \"{text}\" is not asleep, restart, eintr or returned"),
    };

    /// <summary>
    /// The siginfo the kernel queued (spec §3.6): kill(2) fills si_pid/si_uid (SI_USER); thr_kill(2) the same with
    /// SI_LWP (sys/kern/kern_thr.c sys_thr_kill); a trap fills si_code, si_addr (for a page fault: tf_addr, the
    /// faulting address) and si_trapno (sys/amd64/amd64/trap.c: ksi_trapno = type, ksi_addr = addr).
    /// </summary>
    private static SigInfo SignalInfo(SignalModel sig, ThreadImage thread)
    {
        if (thread.FaultAddress is ulong fault && sig.Address is ulong given && given != fault)
            throw new InvalidDataException($"LWP {sig.Lwp}: signal.address 0x{given:x} is not the address its faulting load reads (0x{fault:x})");
        return new SigInfo
        {
            Signo = sig.Signo,
            Code = sig.Code,
            Pid = sig.SenderPid,
            Uid = sig.SenderUid,
            Addr = sig.Address ?? thread.FaultAddress ?? 0,
            Trapno = sig.Trapno ?? (thread.FaultAddress is null ? 0 : TPageFault),
        };
    }

    /// <summary>The thread as the running kernel sees it: in the syscall's sleep (spec §7.2, §4.1).</summary>
    private static CoreThreadSpec LiveThread(ScenarioThread st, ThreadImage t, int index)
    {
        var r = t.Registers;
        // A thread on a faulting load or in a call that does not sleep (thr_kill) has no wait message.
        bool running = t.FaultAddress is not null || st.Model.Stop == "returned";
        var (wmesg, timed) = running ? ("", false)
            : KnownWait(t.SyscallNumber, t.SyscallArguments) ?? (st.Model.Wait is { } given ? (given, false) : WaitMessage(t.SyscallNumber, t.SyscallArguments));
        wmesg = st.Model.Wait ?? wmesg;
        ulong tdFlags = TdFlags.InMem | (st.Model.Interruptible && wmesg.Length > 0 ? TdFlags.SIntr : 0) | (timed ? TdFlags.Timeout : 0);
        return new CoreThreadSpec
        {
            Lwp = t.Lwp,
            Name = st.Name,
            Registers = new Registers
            {
                R15 = r.R15, R14 = r.R14, R13 = r.R13, R12 = r.R12, R11 = r.R11, R10 = r.R10, R9 = r.R9, R8 = r.R8,
                Rdi = r.Rdi, Rsi = r.Rsi, Rbp = r.Rbp, Rbx = r.Rbx, Rdx = r.Rdx, Rcx = r.Rcx, Rax = r.Rax,
                // tf_err: the length of the syscall instruction (spec §7.2); for a page fault the hardware
                // error code; tf_trapno T_PAGEFLT (a syscall leaves it 0).
                Err = t.FaultAddress is null ? 2u : PgexU,
                Trapno = t.FaultAddress is null ? 0u : TPageFault,
                Rip = r.Rip, Rflags = r.Rflags, Rsp = r.Rsp,
            },
            FsBase = t.TcbAddress,             // %fs base = TCB (spec §9.2); written only in NT_X86_SEGBASES
            Kinfo = new ThreadKinfo
            {
                WaitMessage = wmesg,
                WaitChannel = wmesg.Length == 0 ? 0 : KernelBase + 0x0b000000UL + (ulong)index * 0x1000 + 0x40,
                TdFlags = tdFlags,
                TdAddr = KernelBase + 0x0c000000UL + (ulong)index * 0x1000,
                Pcb = KernelBase + 0x0d000000UL + (ulong)index * 0x4000 + 0x3cc0,
                KStack = KernelBase + 0x0d000000UL + (ulong)index * 0x4000,
                LastCpu = index % 4,
                SlpTime = st.Model.Slptime ?? (wmesg.Length == 0 ? 0u : 512),
                Runtime = 1000UL + (ulong)index * 37,
            },
        };
    }

    /// <summary>The wait message of a thread asleep in <paramref name="syscall"/> (spec §8) and whether the sleep has a timeout.</summary>
    public static (string WaitMessage, bool Timed) WaitMessage(int syscall, IReadOnlyList<ulong> args) =>
        KnownWait(syscall, args) ?? throw new InvalidDataException($"no wait message known for syscall {syscall}; give \"wait\"");

    /// <summary><see cref="WaitMessage"/>, or null for a syscall whose sleep the writer does not know (pread's "biord" …: the scenario gives "wait").</summary>
    private static (string WaitMessage, bool Timed)? KnownWait(int syscall, IReadOnlyList<ulong> args) => syscall switch
    {
        // open / openat on a FIFO (spec §8.1): the access mode decides the direction.
        5 or 499 => ((int)(syscall == 499 ? args[2] : args[1]) & OpenFlags.OAccMode) switch
        {
            OpenFlags.ORdOnly => ("fifoor", false),
            OpenFlags.OWrOnly => ("fifoow", false),
            _ => throw new InvalidDataException("an O_RDWR open of a FIFO does not sleep (spec §8.1)"),
        },
        209 => ("select", (int)args[2] != -1),          // poll(fds, n, timeout): INFTIM = -1
        93 => ("select", args[4] != 0),                 // select(…, timeout)
        240 => ("nanslp", true),
        429 => ("sigwait", false),
        454 => ("uwait", args[4] != 0),                 // _umtx_op(…, timeout)
        363 or 560 => ("kqread", args[5] != 0),
        30 => ("accept", false),
        3 => ("sbwait", false),
        _ => null,
    };

    /// <summary>What aborting (or not) the sleep leaves in the registers and kinfo (spec §7.2, §7.3).</summary>
    public static CoreThreadSpec Apply(CoreThreadSpec live, ThreadStop stop)
    {
        switch (stop)
        {
            case ThreadStop.Asleep:
                return live;
            case ThreadStop.Restart:
                return ProducerSemantics.RestartAtBoundary(live);
            case ThreadStop.Returned:
                // cpu_set_syscall_retval: rax = td_retval[0] = 0, CF cleared; rdx keeps td_retval[1].
                return live with
                {
                    Registers = live.Registers with { Rax = 0, Rflags = live.Registers.Rflags & ~1UL },
                    Kinfo = live.Kinfo with { WaitMessage = "", WaitChannel = 0, TdFlags = live.Kinfo.TdFlags & ~(TdFlags.SIntr | TdFlags.Timeout) },
                };
            default:
                // kern_poll/kern_select/kern_nanosleep turn ERESTART into EINTR: the call returns
                // with rax = EINTR and CF set, rip stays after the instruction (spec §7.1, §7.2).
                if (!ProducerSemantics.IsInterruptiblySleeping(live)) return live;
                return live with
                {
                    Registers = live.Registers with { Rax = Eintr, Rflags = live.Registers.Rflags | 1 },
                    Kinfo = live.Kinfo with
                    {
                        WaitMessage = "",
                        WaitChannel = 0,
                        TdFlags = (live.Kinfo.TdFlags & ~(TdFlags.SIntr | TdFlags.Timeout)) | TdFlags.Boundary,
                    },
                };
        }
    }

    private static IReadOnlyList<MappingSpec> Mappings(ScenarioProcess process)
    {
        var image = process.Image;
        var inodes = new Dictionary<string, ulong>();
        var fileSizes = image.Modules.ToDictionary(m => m.Path, m => (ulong)m.Image.FileBytes.Length);
        var list = new List<MappingSpec>();
        foreach (var r in image.Regions)
        {
            bool vnode = r.Type == VmObjectType.Vnode;
            ulong inode = 0;
            if (vnode && r.Path is { } path && !inodes.TryGetValue(path, out inode))
                inodes[path] = inode = 0x10000UL + (ulong)inodes.Count * 0x11;
            int pages = r.Contents.IsEmpty ? 0 : (int)(r.Size / 0x1000);
            list.Add(Mapping(r) with
            {
                VnFileId = inode,
                VnFsid = vnode ? 0x5ac1e0edUL : 0,
                VnSize = vnode && r.Path is { } p ? fileSizes.GetValueOrDefault(p) : 0,
                VnMode = vnode ? (ushort)0x81a4 : (ushort)0,     // S_IFREG | 0644 (0555 for binaries would do as well)
                Resident = pages,
                PrivateResident = vnode ? 0 : pages,
                RefCount = vnode ? 3 : 1,
            });
        }
        return list;
    }

    private static OpenFileSpec OpenFile(OpenFileModel f)
    {
        int fd = f.Fd.ValueKind == JsonValueKind.Number ? f.Fd.GetInt32() : f.Fd.GetString() switch
        {
            "text" => KfFd.Text,
            "cwd" => KfFd.Cwd,
            "root" => KfFd.Root,
            "ctty" => KfFd.Ctty,
            "jail" => KfFd.Jail,
            var other => throw new InvalidDataException($"fd \"{other}\" is not a number, text, cwd, root, ctty or jail"),
        };
        int flags = f.Mode switch
        {
            "r" => KfFlags.Read,
            "w" => KfFlags.Write,
            "rw" => KfFlags.Read | KfFlags.Write,
            "wa" => KfFlags.Write | KfFlags.Append,
            "rwa" => KfFlags.Read | KfFlags.Write | KfFlags.Append,
            _ => throw new InvalidDataException($"fd {fd}: mode \"{f.Mode}\" is not r, w, rw, wa or rwa"),
        };
        var spec = new OpenFileSpec { Fd = fd, Flags = flags, Path = f.Path, Offset = f.Offset };
        return f.Type switch
        {
            "file" => spec with { Type = KfType.Vnode, VnodeType = VnodeType.VReg, FileMode = 0x81b0 },      // S_IFREG | 0660
            "dir" => spec with { Type = KfType.Vnode, VnodeType = VnodeType.VDir, FileMode = 0x41ed, Offset = 0 },
            "chr" => spec with { Type = KfType.Vnode, VnodeType = VnodeType.VChr, FileMode = 0x21b6 },       // S_IFCHR | 0666
            "fifo" => spec with { Type = KfType.Fifo, VnodeType = VnodeType.VFifo, FileMode = 0x11b0, Offset = -1 },
            "pipe" => spec with { Type = KfType.Pipe, Offset = -1 },
            "kqueue" => spec with { Type = KfType.Kqueue, Offset = -1 },
            "socket" => Socket(spec with { Offset = -1 }, f),
            _ => throw new InvalidDataException($"fd {fd}: type \"{f.Type}\" is not file, dir, chr, fifo, pipe, kqueue or socket"),
        };
    }

    private static OpenFileSpec Socket(OpenFileSpec spec, OpenFileModel f)
    {
        const int AfUnix = 1, AfInet = 2, AfInet6 = 28, SockStream = 1, IpProtoTcp = 6;
        return f.Socket switch
        {
            "unix" => spec with { Type = KfType.Socket, SockDomain = AfUnix, SockType = SockStream, SaLocal = SockaddrUnix(f.Local), SaPeer = SockaddrUnix(f.Peer) },
            "tcp4" => spec with { Type = KfType.Socket, SockDomain = AfInet, SockType = SockStream, SockProtocol = IpProtoTcp, SaLocal = SockaddrIn(f.Local), SaPeer = SockaddrIn(f.Peer) },
            "tcp6" => spec with { Type = KfType.Socket, SockDomain = AfInet6, SockType = SockStream, SockProtocol = IpProtoTcp, SaLocal = SockaddrIn6(f.Local), SaPeer = SockaddrIn6(f.Peer) },
            _ => throw new InvalidDataException($"socket \"{f.Socket}\" is not unix, tcp4 or tcp6"),
        };
    }

    /// <summary>struct sockaddr_un {u8 len; u8 family; char path[104]} (an empty path: len 16 as the kernel reports unnamed ends).</summary>
    private static byte[] SockaddrUnix(string? path)
    {
        var b = new byte[106];
        var bytes = Encoding.UTF8.GetBytes(path ?? "");
        b[0] = (byte)(bytes.Length == 0 ? 16 : 106);
        b[1] = 1;
        bytes.CopyTo(b, 2);
        return b;
    }

    /// <summary>struct sockaddr_in {u8 len 16; u8 family 2; be16 port; be32 addr; zero[8]}.</summary>
    private static byte[] SockaddrIn(string? endpoint)
    {
        var b = new byte[16];
        b[0] = 16;
        b[1] = 2;
        if (endpoint is null) return b;
        var ep = IPEndPoint.Parse(endpoint);
        b[2] = (byte)(ep.Port >> 8);
        b[3] = (byte)ep.Port;
        ep.Address.GetAddressBytes().CopyTo(b, 4);
        return b;
    }

    /// <summary>struct sockaddr_in6 {u8 len 28; u8 family 28; be16 port; u32 flowinfo; u8 addr[16]; u32 scope}.</summary>
    private static byte[] SockaddrIn6(string? endpoint)
    {
        var b = new byte[28];
        b[0] = 28;
        b[1] = 28;
        if (endpoint is null) return b;
        var ep = IPEndPoint.Parse(endpoint);
        b[2] = (byte)(ep.Port >> 8);
        b[3] = (byte)ep.Port;
        ep.Address.GetAddressBytes().CopyTo(b, 8);
        return b;
    }
}
