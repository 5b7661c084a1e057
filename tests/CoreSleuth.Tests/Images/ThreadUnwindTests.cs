using CoreSleuth.Testing.Images;
using Iced.Intel;
using Decoder = Iced.Intel.Decoder;

namespace CoreSleuth.Tests.Images;

/// <summary>
/// Every simulated thread is unwound here by an independent CFI unwinder that uses only the
/// rows printed by llvm-dwarfdump, the symbols printed by readelf and the raw region bytes; the
/// resulting chain must be the intended one, and each return address must follow a call that
/// reaches the callee (directly, through the PLT/GOT, a pointer slot or struct pthread).
/// </summary>
public sealed class ThreadUnwindTests
{
    private sealed record ModuleFiles(string FileName, string File, bool IsExecutable, List<DwarfFde> Fdes, List<ReadElfSymbol> Symbols, List<ReadElf.Segment> Segments, List<ReadElf.Section> Sections);

    private sealed record Unwound(string Module, ulong Pc, ulong Bias, ulong FdeStart, IReadOnlyList<string> Names, ulong Cfa, IReadOnlyDictionary<string, ulong> Registers);

    private static Dictionary<string, ModuleFiles> Files(ProcessImage process, TempFiles temp)
    {
        var result = new Dictionary<string, ModuleFiles>();
        foreach (var module in process.Modules)
        {
            var file = temp.Write(module.Image);
            var isExec = Tools.RunClean("readelf", "-W", "-h", file).Contains("EXEC (Executable file)", StringComparison.Ordinal);
            result[module.Path] = new ModuleFiles(module.FileName, file, isExec, DwarfDump.EhFrame(file), ReadElf.DynamicSymbols(file), ReadElf.Segments(file), ReadElf.Sections(file));
        }

        return result;
    }

    private static List<Unwound> UnwindByCfi(ProcessImage process, ThreadImage thread, Dictionary<string, ModuleFiles> files)
    {
        var memory = new Memory(process);
        var r = thread.Registers;
        var regs = new Dictionary<string, ulong>
        {
            ["RIP"] = r.Rip, ["RSP"] = r.Rsp, ["RBP"] = r.Rbp, ["RBX"] = r.Rbx, ["R12"] = r.R12, ["R13"] = r.R13, ["R14"] = r.R14, ["R15"] = r.R15,
        };
        var frames = new List<Unwound>();
        for (var depth = 0; depth < 64; depth++)
        {
            var pc = regs["RIP"];
            var text = process.Regions.Single(x => x.Contains(pc));
            Assert.True(text.Path is not null && text.Type == VmObjectType.Vnode, $"LWP {thread.Lwp}: pc 0x{pc:x} is not in a mapped file");
            var module = files[text.Path!];
            var bias = module.IsExecutable ? 0 : text.Start - text.FileOffset;
            var link = pc - bias;
            var lookup = depth == 0 ? link : link - 1; // a return address may be just past the caller's FDE
            var fde = module.Fdes.SingleOrDefault(f => lookup >= f.PcBegin && lookup < f.PcEnd);
            var symbols = module.Symbols.Where(s => s.Type == "FUNC" && s.Section != "UND" && link >= s.Value && link < s.Value + s.Size).ToList();
            var names = symbols.Select(s => s.Name).ToList();
            DwarfRow row;
            ulong start;
            if (fde is null)
            {
                // A syscall stub without CFI (FreeBSD ≤ 12, no FDE): only frame 0 can be one, and it keeps nothing on the
                // stack, so the ABI's rule at a call boundary holds: CFA = rsp+8, return address at CFA−8.
                var stub = process.Modules.Single(m => m.Path == text.Path).Image.Functions.SingleOrDefault(f => f.Contains(link));
                Assert.True(depth == 0 && stub?.Spec.SyscallNumber is not null, $"LWP {thread.Lwp}: no FDE covers 0x{pc:x} at depth {depth}");
                row = new DwarfRow(link, "RSP", 8, new Dictionary<string, long> { ["RIP"] = -8 }, false);
                start = stub!.Address;
            }
            else
            {
                row = DwarfDump.RowAt([fde], lookup);
                start = fde.PcBegin;
            }

            var cfa = regs[row.CfaRegister] + (ulong)row.CfaOffset;
            frames.Add(new Unwound(module.FileName, pc, bias, start + bias, names, cfa, new Dictionary<string, ulong>(regs)));
            if (row.ReturnAddressUndefined)
            {
                break;
            }

            var next = new Dictionary<string, ulong>(regs);
            foreach (var (register, offset) in row.Saved)
            {
                next[register] = memory.U64(cfa + (ulong)offset);
            }

            next["RSP"] = cfa;
            regs = next;
            if (regs["RIP"] == 0)
            {
                break;
            }
        }

        return frames;
    }

    public static TheoryData<string, bool> Variants => new()
    {
        { "10.4", false },
        { "12.4", false },
        { "13.5", false },
        { "13.5", true },
        { "14.2", true },
    };

    [ToolTheory("readelf", "llvm-dwarfdump")]
    [MemberData(nameof(Variants))]
    public void Every_thread_unwinds_by_cfi_to_its_intended_chain(string version, bool omitFramePointers)
    {
        var process = Samples.Mysqld(version, omitFramePointers);
        var v = Samples.Version(version);
        using var temp = new TempFiles();
        var files = Files(process, temp);
        var exported = files.Values.SelectMany(f => f.Symbols.Where(s => s.Section != "UND").Select(s => s.Name)).ToHashSet();
        Assert.Equal(MysqldProcessTemplate.Roles.Count, process.Threads.Count);
        for (var i = 0; i < process.Threads.Count; i++)
        {
            var thread = process.Threads[i];
            var intended = MysqldImage.Chain(v, MysqldProcessTemplate.Roles[i].Role);
            var unwound = UnwindByCfi(process, thread, files);
            var outermostFirst = Enumerable.Reverse(unwound).ToList();
            Assert.True(intended.Count == outermostFirst.Count, $"LWP {thread.Lwp}: unwound {outermostFirst.Count} frames [{string.Join(" ← ", outermostFirst.Select(Describe))}], intended {intended.Count}");
            for (var k = 0; k < intended.Count; k++)
            {
                var bang = intended[k].IndexOf('!', StringComparison.Ordinal);
                var module = bang > 0 ? intended[k][..bang] : null;
                var name = bang > 0 ? intended[k][(bang + 1)..] : intended[k];
                var frame = outermostFirst[k];
                if (exported.Contains(name))
                {
                    Assert.True(frame.Names.Contains(name), $"LWP {thread.Lwp} frame {k}: expected {intended[k]}, unwound {Describe(frame)}");
                }
                else
                {
                    // A static function: no symbol covers it, in any module.
                    Assert.True(frame.Names.Count == 0, $"LWP {thread.Lwp} frame {k}: expected the unnamed {name}, unwound {Describe(frame)}");
                }

                if (module is not null)
                {
                    Assert.Equal(module, frame.Module);
                }
            }

            // The unwinder recovers the callee-saved registers and CFAs the simulation put on the stack.
            for (var k = 0; k < unwound.Count; k++)
            {
                var simulated = thread.Frames[k];
                Assert.Equal(simulated.Cfa, unwound[k].Cfa);
                foreach (var (register, value) in simulated.CalleeSaved)
                {
                    Assert.Equal(value, unwound[k].Registers[register.ToString().ToUpperInvariant()]);
                }
            }
        }
    }

    private static string Describe(Unwound f) => $"{f.Module}!{(f.Names.Count > 0 ? f.Names[0] : "?")}@0x{f.Pc:x}";

    [ToolTheory("readelf", "llvm-dwarfdump")]
    [InlineData("10.4")]
    [InlineData("13.5")]
    public void Each_return_address_follows_a_call_that_reaches_the_callee(string version)
    {
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var files = Files(process, temp);
        var kinds = new HashSet<string>();
        foreach (var thread in process.Threads)
        {
            var frames = UnwindByCfi(process, thread, files);
            for (var k = 1; k < frames.Count; k++)
            {
                var caller = frames[k];
                var callee = frames[k - 1];
                var module = files.Values.Single(f => f.FileName == caller.Module);
                var fde = module.Fdes.Single(f => caller.Pc - caller.Bias - 1 >= f.PcBegin && caller.Pc - caller.Bias - 1 < f.PcEnd);
                var code = ReadElf.ReadAt(module.File, module.Segments, fde.PcBegin, (int)(fde.PcEnd - fde.PcBegin))!;
                var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
                decoder.IP = fde.PcBegin;
                Instruction call = default;
                while (decoder.IP < caller.Pc - caller.Bias)
                {
                    decoder.Decode(out call);
                }

                var where = $"LWP {thread.Lwp}: {Describe(caller)} → {Describe(callee)}";
                Assert.True(decoder.IP == caller.Pc - caller.Bias, $"{where}: the return address is not an instruction boundary");
                Assert.True(call.Mnemonic == Mnemonic.Call, $"{where}: preceded by {call}, not a call");
                if (call.Op0Kind == OpKind.NearBranch64)
                {
                    var target = call.NearBranch64 + caller.Bias;
                    if (target == callee.FdeStart)
                    {
                        kinds.Add("direct");
                        continue;
                    }

                    // call foo@plt: jmp qword ptr [rip+got]; the GOT slot holds the callee.
                    var plt = module.Sections.Single(s => s.Name == ".plt");
                    Assert.True(call.NearBranch64 >= plt.Address && call.NearBranch64 < plt.Address + plt.Size, $"{where}: call to 0x{target:x} is neither the callee nor a PLT entry");
                    var stub = Decoder.Create(64, new ByteArrayCodeReader(ReadElf.ReadAt(module.File, module.Segments, call.NearBranch64, 6)!));
                    stub.IP = call.NearBranch64;
                    stub.Decode(out var jmp);
                    Assert.Equal(Mnemonic.Jmp, jmp.Mnemonic);
                    Assert.Equal(callee.FdeStart, memory.U64(jmp.IPRelativeMemoryAddress + caller.Bias));
                    kinds.Add("plt");
                }
                else if (call.IsIPRelativeMemoryOperand)
                {
                    Assert.Equal(callee.FdeStart, memory.U64(call.IPRelativeMemoryAddress + caller.Bias));
                    kinds.Add("slot");
                }
                else
                {
                    Assert.Equal(Register.RBX, call.MemoryBase);
                    Assert.Equal(callee.FdeStart, memory.U64(caller.Registers["RBX"] + call.MemoryDisplacement64));
                    Assert.Equal(thread.PthreadAddress, caller.Registers["RBX"]); // curthread
                    kinds.Add("thread");
                }
            }
        }

        Assert.Superset(version == "10.4" ? new HashSet<string> { "direct", "plt", "thread" } : new HashSet<string> { "direct", "plt", "slot", "thread" }, kinds);
    }

    [SyscallTableTheory]
    [InlineData("10.4")]
    [InlineData("13.5")]
    public void Threads_sleep_right_after_a_syscall_with_the_trapframe_of_spec_7_2(string version)
    {
        var numbers = SyscallTable.NumbersByName();
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        foreach (var thread in process.Threads)
        {
            var r = thread.Registers;
            Assert.Equal(new byte[] { 0x0f, 0x05 }, memory.Read(r.Rip - 2, 2));
            Assert.Equal(r.Rcx, r.R10);
            Assert.Equal((2u, 0x43UL, 0x3bUL, (ushort)0x3b, (ushort)0x3b, (ushort)0x13, (ushort)0x1b), (r.Err, r.Cs, r.Ss, r.Ds, r.Es, r.Fs, r.Gs));
            Assert.True((r.Rflags & 0x200) != 0 && (r.Rflags & 1) == 0);
            var stub = process.Symbolize(r.Rip)!.Value.Function.Name;
            var expected = stub == "_umtx_op_err" ? numbers["_umtx_op"] : version == "10.4" && stub == "__sys_kevent" ? 363 : numbers[stub["__sys_".Length..]];
            Assert.Equal((ulong)expected, r.Rax);
            Assert.Equal(thread.TcbAddress, r.FsBase);
        }
    }

    [Theory]
    [InlineData("10.4", 5UL)]
    [InlineData("13.5", 499UL)]
    public void The_load_data_thread_is_in_open_of_the_fifo_path(string version, ulong syscall)
    {
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        var r = process.Threads[^1].Registers;
        Assert.Equal(syscall, r.Rax);
        if (syscall == 499)
        {
            Assert.Equal(0xffffffffffffff9cUL, r.Rdi); // AT_FDCWD
            Assert.Equal("/tmp/ghost.fifo", memory.CString(r.Rsi));
            Assert.Equal(0UL, r.Rdx);                  // O_RDONLY
        }
        else
        {
            Assert.Equal("/tmp/ghost.fifo", memory.CString(r.Rdi));
            Assert.Equal(0UL, r.Rsi);
        }
    }

    [Fact]
    public void A_restarting_thread_points_at_the_syscall_instruction()
    {
        var process = MysqldProcessTemplate.Build(new MysqldScenarioOptions { LoadDataStopState = ThreadStopState.Restarting, MainStopState = ThreadStopState.Interrupted });
        var memory = new Memory(process);
        var loadData = process.Threads[^1].Registers;
        Assert.Equal(new byte[] { 0x0f, 0x05 }, memory.Read(loadData.Rip, 2));
        Assert.Equal(499UL, loadData.Rax);
        var main = process.Threads[0].Registers;
        Assert.Equal(new byte[] { 0x0f, 0x05 }, memory.Read(main.Rip - 2, 2));
        Assert.Equal(4UL, main.Rax);             // EINTR
        Assert.Equal(1UL, main.Rflags & 1);       // CF set on error (spec §7.1)
    }

    [Fact]
    public void Frame_pointer_walk_finds_return_addresses_of_the_chain_in_order()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        var total = 0;
        foreach (var thread in process.Threads)
        {
            var pcs = thread.Frames.Select(f => f.Pc).ToList();
            var position = 0;
            var rbp = thread.Registers.Rbp;
            while (rbp != 0 && memory.TryU64(rbp, out var savedRbp) && memory.TryU64(rbp + 8, out var ra) && ra != 0)
            {
                var index = pcs.IndexOf(ra, position);
                Assert.True(index > 0, $"LWP {thread.Lwp}: frame-pointer walk found 0x{ra:x}, not a later return address of the chain");
                position = index + 1;
                total++;
                Assert.True(savedRbp == 0 || savedRbp > rbp, "frame pointers must go up the stack");
                rbp = savedRbp;
            }
        }

        Assert.True(total >= process.Threads.Count, "the frame-pointer chains should reach some frames of every thread");
    }

    [ToolFact("readelf", "llvm-dwarfdump")]
    public void Stale_stack_values_do_not_disturb_cfi_but_are_there_for_a_scanner()
    {
        var process = MysqldProcessTemplate.Build(new MysqldScenarioOptions { Version = FreeBsdVersion.V12_4, StaleStackValues = true });
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var files = Files(process, temp);
        var text = process.Regions.Where(r => r.Protection == MemoryProtection.ReadExecute && r.Path is not null).ToList();
        var strays = 0;
        foreach (var thread in process.Threads)
        {
            var unwound = UnwindByCfi(process, thread, files);
            Assert.Equal(thread.Frames.Select(f => f.Pc), unwound.Select(u => u.Pc));

            // A naive scan (every 8-byte value pointing into code) sees more than the real frames.
            var pcs = thread.Frames.Select(f => f.Pc).ToHashSet();
            for (var at = thread.Registers.Rsp; at < thread.Frames[^1].Cfa; at += 8) // the frames, not the argv/auxv area above _start
            {
                var value = memory.U64(at);
                if (!pcs.Contains(value) && text.Any(r => r.Contains(value)))
                {
                    strays++;
                }
            }
        }

        Assert.True(strays >= process.Threads.Count, $"only {strays} stale code addresses on the stacks");
        Assert.DoesNotContain(Samples.Mysqld("12.4").Threads, t => ContainsStray(Samples.Mysqld("12.4"), t));
    }

    private static bool ContainsStray(ProcessImage process, ThreadImage thread)
    {
        var memory = new Memory(process);
        var pcs = thread.Frames.Select(f => f.Pc).ToHashSet();
        for (var at = thread.Registers.Rsp; at < thread.Frames[^1].Cfa; at += 8) // the frames, not the argv/auxv area above _start
        {
            var value = memory.U64(at);
            if (!pcs.Contains(value) && process.Regions.Any(r => r.Protection == MemoryProtection.ReadExecute && r.Path is not null && r.Contains(value)))
            {
                return true;
            }
        }

        return false;
    }

    [ToolFact("readelf", "llvm-dwarfdump")]
    public void Without_frame_pointers_no_function_uses_rbp_as_frame_pointer()
    {
        var process = Samples.Mysqld("13.5", omitFramePointers: true);
        using var temp = new TempFiles();
        var files = Files(process, temp);
        Assert.All(files.Values.SelectMany(f => f.Fdes).SelectMany(f => f.Rows), row => Assert.Equal("RSP", row.CfaRegister));
    }
}
