using CoreSleuth.Model;
using CoreSleuth.Testing.Images;
using CoreSleuth.Testing.Scenarios;
using CoreProducer = CoreSleuth.Model.CoreProducer;

namespace CoreSleuth.Tests.Samples;

/// <summary>Our reader opens every committed sample and finds the intended threads, registers, mappings and memory.</summary>
public class ReaderTests
{
    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Threads_come_in_the_producers_order_with_their_names_and_wait_messages(string name)
    {
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        Assert.Equal(Expectations.NoteOrder(b), core.Threads.Select(t => t.Lwp));
        Assert.Equal(b.Scenario.Process.Pid, core.Process.Pid);
        Assert.Equal(Path.GetFileName(b.Scenario.Process.Arguments[0]), core.Process.Command);
        Assert.Equal(b.Process.Image.OsRelDate, core.Process.FreeBsd!.OsRelDate);
        Assert.Equal(b.Scenario.Producer, core.Producer switch { CoreProducer.Gcore => "gcore", CoreProducer.Kernel => "kernel", CoreProducer.Gdb => "gdb", var p => p.ToString() });
        foreach (var t in Expectations.Threads(b))
        {
            var read = core.Threads.Single(c => c.Lwp == t.Lwp);
            Assert.True(Expectations.ThreadName(b, t) == read.Name, $"LWP {t.Lwp}: name {read.Name ?? "(none)"}, expected {Expectations.ThreadName(b, t) ?? "(none)"}");
            Assert.True(Expectations.WaitMessage(b, t) == read.WaitMessage, $"LWP {t.Lwp}: wait message {read.WaitMessage ?? "(none)"}, expected {Expectations.WaitMessage(b, t) ?? "(none)"}");
        }
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Registers_show_each_thread_asleep_restarting_or_interrupted_as_spec_7_says(string name)
    {
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        foreach (var t in Expectations.Threads(b))
        {
            var r = core.Threads.Single(c => c.Lwp == t.Lwp).Registers;
            var image = Expectations.Image(b, t.Lwp);
            if (Expectations.Faulting(b, t))
            {
                AssertOnFaultingLoad(b, t, r);
                continue;
            }
            var stub = b.Process.Image.Symbolize(image.Registers.Rip)!.Value;
            ulong syscallInstruction = stub.Module.RuntimeAddress(stub.Function.SyscallInstructionAddress!.Value);
            string at = $"LWP {t.Lwp} ({Expectations.Stop(b, t)})";
            switch (Expectations.Stop(b, t))
            {
                case ThreadStop.Asleep:
                    Assert.True(r.Rip == syscallInstruction + 2, $"{at}: rip 0x{r.Rip:x} is not right after the syscall at 0x{syscallInstruction:x}");
                    Assert.True(r.Rax == (ulong)image.SyscallNumber, $"{at}: rax {r.Rax}");
                    break;
                case ThreadStop.Restart:
                    Assert.True(r.Rip == syscallInstruction, $"{at}: rip 0x{r.Rip:x} is not at the syscall at 0x{syscallInstruction:x}");
                    Assert.True(r.Rax == (ulong)image.SyscallNumber, $"{at}: rax {r.Rax}");
                    Assert.True(r.R10 == r.Rcx, $"{at}: r10 is not rcx's copy of argument 4");
                    break;
                case ThreadStop.Eintr:
                    Assert.True(r.Rip == syscallInstruction + 2, $"{at}: rip 0x{r.Rip:x}");
                    Assert.True(r.Rax == 4 && (r.Rflags & 1) == 1, $"{at}: rax {r.Rax}, rflags 0x{r.Rflags:x}: not EINTR with CF set");
                    break;
                case ThreadStop.Returned:
                    // The call completed (thr_kill): cpu_set_syscall_retval put td_retval[0] = 0 in rax and cleared CF.
                    Assert.True(r.Rip == syscallInstruction + 2, $"{at}: rip 0x{r.Rip:x}");
                    Assert.True(r.Rax == 0 && (r.Rflags & 1) == 0, $"{at}: rax {r.Rax}, rflags 0x{r.Rflags:x}: not a successful return");
                    break;
            }
            // The code bytes at the syscall are 0f 05 in the image (spec §7.1).
            var text = stub.Module.Image.TextSegment;
            Assert.Equal([0x0f, 0x05], stub.Module.Image.FileBytes.AsSpan((int)(syscallInstruction - stub.Module.Bias - text.VirtualAddress + text.FileOffset), 2).ToArray());
            Assert.Equal(2u, r.Err);                                            // tf_err after a syscall entry (spec §7.2)
            Assert.Equal(image.Registers.Rsp, r.Rsp);
            Assert.Equal((image.Registers.Rdi, image.Registers.Rsi, image.Registers.Rdx), (r.Rdi, r.Rsi, r.Rdx));
            Assert.Equal((image.Registers.Rbx, image.Registers.Rbp, image.Registers.R12, image.Registers.R13, image.Registers.R14, image.Registers.R15),
                (r.Rbx, r.Rbp, r.R12, r.R13, r.R14, r.R15));
        }
    }

    /// <summary>
    /// A thread on a faulting load (spec §7: not in a system call): rip is the load instruction of the
    /// scenario's function, which decodes as <c>mov rax, qword ptr [base+disp]</c> with base = the
    /// fault's value; tf_trapno is T_PAGEFLT (12), tf_err PGEX_U (4, a user-mode read of a
    /// non-present page), and the dumping thread's si_addr is base + disp.
    /// </summary>
    private static void AssertOnFaultingLoad(SampleBuild b, ScenarioThread t, CoreSleuth.Model.Registers r)
    {
        var fault = t.Model.Fault!;
        var at = b.Process.Image.Symbolize(r.Rip)!.Value;
        Assert.Equal(t.Model.Chain![^1], at.Function.Name);
        Assert.Equal(at.Module.RuntimeAddress(at.Function.FaultInstructionAddress!.Value), r.Rip);
        var text = at.Module.Image.TextSegment;
        int offset = (int)(r.Rip - at.Module.Bias - text.VirtualAddress + text.FileOffset);
        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(at.Module.Image.FileBytes, offset, 16));
        decoder.IP = r.Rip;
        var instruction = decoder.Decode();
        Assert.Equal(Iced.Intel.Mnemonic.Mov, instruction.Mnemonic);
        Assert.Equal(Iced.Intel.Register.RAX, instruction.Op0Register);
        Assert.Equal(Iced.Intel.OpKind.Memory, instruction.Op1Kind);
        ulong baseValue = instruction.MemoryBase switch
        {
            Iced.Intel.Register.RBX => r.Rbx,
            Iced.Intel.Register.RBP => r.Rbp,
            Iced.Intel.Register.R12 => r.R12,
            Iced.Intel.Register.R13 => r.R13,
            Iced.Intel.Register.R14 => r.R14,
            Iced.Intel.Register.R15 => r.R15,
            var other => throw new InvalidDataException($"LWP {t.Lwp}: unexpected base {other}"),
        };
        Assert.Equal(fault.Register, instruction.MemoryBase.ToString().ToLowerInvariant());
        Assert.Equal(fault.Value, baseValue);
        Assert.Equal((ulong)fault.Displacement, instruction.MemoryDisplacement64);
        Assert.Equal(12u, r.TrapNo);
        Assert.Equal(4u, r.Err);
        if (b.Scenario.Signal?.Lwp == t.Lwp)
        {
            using var core = CoreFile.Open(SampleSet.CorePath(b.Name));
            var info = core.Threads.Single(c => c.Lwp == t.Lwp).FreeBsd!.LwpInfo!.SigInfo;
            Assert.Equal(baseValue + (ulong)fault.Displacement, info.Address);
        }
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Blocked_opens_pass_the_path_and_flags_in_the_registers_of_the_release(string name)
    {
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        foreach (var t in Expectations.Threads(b).Where(t => t.Model.Open is not null))
        {
            var r = core.Threads.Single(c => c.Lwp == t.Lwp).Registers;
            ulong flags = (ulong)OpenFlags.Parse(t.Model.Open!.Flags);
            ulong path;
            if (b.Process.Version.Major >= 11)
            {
                // spec §7.4: from 11.0 libc's open() is openat(AT_FDCWD, path, flags, mode) = 499.
                Assert.Equal(499UL, r.Rax);
                Assert.Equal(unchecked((ulong)-100L), r.Rdi);
                Assert.Equal(flags, r.Rdx);
                path = r.Rsi;
            }
            else
            {
                Assert.Equal(5UL, r.Rax);
                Assert.Equal(flags, r.Rsi);
                path = r.Rdi;
            }
            if (t.Model.Open.At is { } at) Assert.Equal(at, path);
            var text = core.Memory.ReadCString(path);
            Assert.Equal(CoreSleuth.Memory.CoreStringStatus.Complete, text.Status);
            Assert.Equal(t.Model.Open.Path, text.Text);
        }
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Mappings_and_their_bytes_are_the_process_images(string name)
    {
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        var regions = b.Process.Image.Regions;
        Assert.Equal(regions.Select(r => (r.Start, r.End, (int)r.Protection, (int)r.Type, r.Path ?? "", r.FileOffset)),
            core.Process.Mappings.Select(m => (m.Start, m.End, (int)m.Protection, m.FreeBsd?.Type ?? -1, m.Path, m.FileOffset)));
        foreach (var r in regions)
        {
            bool inCore = core.Memory.FindSegment(r.Start) is { } s && s.Start == r.Start && s.End == r.End;
            Assert.True(Expectations.Dumped(r) == inCore, $"{r}: {(inCore ? "dumped" : "not dumped")}, spec §1.3 says otherwise");
            if (!inCore) continue;
            var bytes = new byte[r.Size];
            Assert.Equal((int)r.Size, core.Memory.Read(r.Start, bytes));
            Assert.True(bytes.AsSpan().SequenceEqual(r.Contents.Span), $"{r}: bytes differ");
        }
        // Text is in the core only when the scenario asks for it (spec §1.3: real cores have none).
        bool textInCore = regions.Where(r => (r.Protection & MemoryProtection.Execute) != 0 && r.Path is not null).All(r => core.Memory.FindSegment(r.Start) is not null);
        Assert.Equal(b.Scenario.Text == "core", textInCore);
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Every_pthread_holds_its_lwp_and_every_session_its_statement(string name)
    {
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        foreach (var t in Expectations.Threads(b))
        {
            ulong pthread = b.Process.PthreadOf(t.Lwp);
            if (t.Model.Pthread is { } pinned) Assert.Equal(pinned, pthread);
            Assert.True(core.Memory.TryReadUInt64(pthread, out ulong tid) && tid == (ulong)t.Lwp, $"LWP {t.Lwp}: pthread 0x{pthread:x} holds {tid}");
            if (t.Session?.Statement is { } statement)
                Assert.Equal(statement, core.Memory.ReadCString(b.Process.Image.Labels[$"statement:{t.Lwp}"]).Text);
        }
        foreach (var e in b.Scenario.ExitedThreads)
        {
            ulong pthread = b.Process.Image.Labels[$"pthread:exited:{e.FormerLwp}"];
            Assert.True(core.Memory.TryReadUInt64(pthread, out ulong tid) && tid == 1, $"exited LWP {e.FormerLwp}: tid {tid}, not TID_TERMINATED");
        }
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Kinfo_proc_and_lwpinfo_are_what_the_producer_fills(string name)
    {
        // spec §4 constants: SRUN 2, SSTOP 4; P_TRACED 0x800, P_STOPPED_TRACE 0x40000, P_STOPPED_SINGLE 0x80000;
        // TDF_SINTR 0x8, TDF_BOUNDARY 0x400. spec §3.6: PL_EVENT_SIGNAL 1, PL_FLAG_SI 0x20.
        var b = SampleSet.Build(name);
        using var core = CoreFile.Open(SampleSet.CorePath(name));
        var producer = Expectations.Producer(b);
        bool lwpinfo = producer != Testing.Cores.CoreProducer.Gdb && b.Process.Image.OsRelDate >= 1101000;
        foreach (var t in Expectations.Threads(b))
        {
            var c = core.Threads.Single(x => x.Lwp == t.Lwp);
            var stop = Expectations.Stop(b, t);
            if (producer == Testing.Cores.CoreProducer.Gdb)
            {
                Assert.Null(c.FreeBsd!.Kinfo);    // gdb writes no NT_PROCSTAT_PROC (spec §2.3)
                Assert.Null(c.FreeBsd!.LwpInfo);
                continue;
            }
            var k = c.FreeBsd!.Kinfo!;
            bool dumping = producer == Testing.Cores.CoreProducer.Kernel && t.Lwp == b.Scenario.Signal!.Lwp;
            Assert.Equal(dumping ? 2 : 4, k.State);
            Assert.Equal(stop == ThreadStop.Asleep && t.Model.Interruptible, (k.ThreadFlags & 0x8) != 0);   // TDF_SINTR only in an interruptible sleep
            // ki_slptime: a sleep thread_single() aborted was suspended (sched_sleep sets td_slptick = ticks): 0 at the dump.
            if (producer == Testing.Cores.CoreProducer.Kernel && !dumping && stop is ThreadStop.Restart or ThreadStop.Eintr)
                Assert.True(k.SleepTime == 0, $"LWP {t.Lwp}: ki_slptime {k.SleepTime} after an aborted sleep");
            else if (stop == ThreadStop.Asleep && t.Model.Slptime is uint slept)
                Assert.Equal(slept, k.SleepTime);
            Assert.Equal(stop != ThreadStop.Asleep && !dumping, (k.ThreadFlags & 0x400) != 0);   // TDF_BOUNDARY after an aborted sleep
            Assert.Equal(stop == ThreadStop.Asleep, k.WaitChannel != 0);
            Assert.Equal(b.Scenario.Process.Pid, k.Pid);
            Assert.Equal(t.Lwp, k.Lwp);
            long traced = producer == Testing.Cores.CoreProducer.Gcore ? 0x800 | 0x40000 : 0x80000;
            Assert.Equal(traced, k.ProcessFlags & (0x800 | 0x40000 | 0x80000));
            if (producer == Testing.Cores.CoreProducer.Gcore && b.Process.Image.OsRelDate >= 1100000)
                Assert.Equal(b.Scenario.Process.Tracer, k.Tracer);

            Assert.Equal(lwpinfo, c.FreeBsd!.LwpInfo is not null);
            if (c.FreeBsd!.LwpInfo is not { } li) continue;
            int? signal = producer == Testing.Cores.CoreProducer.Gcore
                ? t.Lwp == Expectations.StopReceiver(b) ? 17 : null
                : dumping ? b.Scenario.Signal!.Signo : null;
            Assert.Equal(signal is null ? 0 : 1, li.Event);
            Assert.Equal(signal is not null, li.HasSigInfo);
            if (signal is int sig) Assert.Equal(sig, li.SigInfo.Signal);
            if (dumping)
            {
                // spec §3.6: the siginfo the kernel queued — kill/thr_kill fill si_code, si_pid, si_uid; a trap si_code,
                // si_addr and si_trapno (the first int of the reason union), the defaults the scenario format documents.
                var s = b.Scenario.Signal!;
                var fault = Expectations.Image(b, t.Lwp).FaultAddress;
                Assert.Equal(s.Code, li.SigInfo.Code);
                Assert.Equal(s.SenderPid, li.SigInfo.Pid);
                Assert.Equal(s.SenderUid, li.SigInfo.Uid);
                Assert.Equal(s.Address ?? fault ?? 0, li.SigInfo.Address);
                Assert.Equal(s.Trapno ?? (fault is null ? 0 : 12), BitConverter.ToInt32(li.SigInfo.Reason, 0));
            }
        }
        if (producer == Testing.Cores.CoreProducer.Kernel) Assert.Equal(b.Scenario.Signal!.Signo, core.Process.Signal);
    }

    [Fact]
    public void The_incident_has_the_facts_of_the_ticket()
    {
        using var core = CoreFile.Open(SampleSet.CorePath("mysqld-ghost-fifo"));
        Assert.Equal(1001000, core.Process.FreeBsd!.OsRelDate);
        Assert.Equal(1158, core.Process.Pid);
        Assert.Equal("/usr/local/libexec/mysqld --defaults-extra-file=/var/db/mysql/my.cnf --basedir=/usr/local --datadir=/var/db/mysql --plugin-dir=/usr/local/lib/mysql/plugin",
            core.Process.Arguments);
        Assert.Equal([100411, .. Enumerable.Range(100413, 10), .. Enumerable.Range(100425, 10), 100460, 100461], core.Threads.Select(t => t.Lwp));
        Assert.True(core.Memory.TryReadUInt64(0x829e76000, out ulong tid));
        Assert.Equal(100460UL, tid);
        var fifo = core.Threads.Single(t => t.Lwp == 100460);
        Assert.Equal("fifoor", fifo.WaitMessage);
        Assert.Equal((5UL, 0x7ffffd1a3c80UL, 0UL), (fifo.Registers.Rax, fifo.Registers.Rdi, fifo.Registers.Rsi));
        Assert.Equal("/tmp/ghost.fifo", core.Memory.ReadCString(0x7ffffd1a3c80).Text);
        Assert.Equal("select", core.Threads.Single(t => t.Lwp == 100461).WaitMessage);
        Assert.Null(core.Threads[0].WaitMessage);    // the main thread took gcore's SIGSTOP (spec §7.3)
        Assert.Equal(new[] { "select", "sigwait", "uwait", "nanslp", "fifoor" }.Order(), core.Threads.Select(t => t.WaitMessage).OfType<string>().Distinct().Order());
    }
}
