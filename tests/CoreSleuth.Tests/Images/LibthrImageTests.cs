using System.Buffers.Binary;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Images;

/// <summary>libthr's debugger symbols against the real 13.5 libthr.so.3, and the struct pthread /
/// TCB / _thread_list invariants of spec §9 in the produced memory.</summary>
public sealed class LibthrImageTests
{
    private const string RealLibthr = "binaries/freebsd13.5/libthr.so.3";

    private static bool IsDebuggerSymbol(string name) => name.StartsWith("_thread_", StringComparison.Ordinal) || name == "_libthr_debug";

    [CorpusFact(RealLibthr, "readelf")]
    public void Debugger_symbols_have_the_names_types_sizes_and_version_of_the_real_libthr()
    {
        using var temp = new TempFiles();
        static HashSet<(string, string, ulong, string, string?, bool)> Describe(IEnumerable<ReadElfSymbol> symbols) =>
            [.. symbols.Where(s => IsDebuggerSymbol(s.Name) && s.Section != "UND").Select(s => (s.Name, s.Type, s.Size, s.Bind, s.Version, s.DefaultVersion))];

        var real = Describe(ReadElf.DynamicSymbols(Corpus.Find(RealLibthr)!));
        var ours = Describe(ReadElf.DynamicSymbols(temp.Write(Samples.Images("13.5").Libthr)));
        Assert.True(real.Count >= 25, "the real library should export the thread_db symbols");
        Assert.Equal(real.OrderBy(s => s.Item1), ours.OrderBy(s => s.Item1));
    }

    [CorpusFact(RealLibthr, "readelf")]
    public void Debugger_ints_have_the_values_of_the_real_libthr()
    {
        using var temp = new TempFiles();
        var realPath = Corpus.Find(RealLibthr)!;
        var oursPath = temp.Write(Samples.Images("13.5").Libthr);
        var realSegments = ReadElf.Segments(realPath);
        var oursSegments = ReadElf.Segments(oursPath);
        var oursSymbols = ReadElf.DynamicSymbols(oursPath).ToDictionary(s => s.Name);
        var compared = 0;
        foreach (var real in ReadElf.DynamicSymbols(realPath).Where(s => IsDebuggerSymbol(s.Name) && s.Type == "OBJECT" && s.Size == 4))
        {
            static int Value(string path, IReadOnlyList<ReadElf.Segment> segments, ReadElfSymbol s) =>
                ReadElf.ReadAt(path, segments, s.Value, 4) is { } b ? BinaryPrimitives.ReadInt32LittleEndian(b) : 0;

            Assert.True(Value(realPath, realSegments, real) == Value(oursPath, oursSegments, oursSymbols[real.Name]), $"{real.Name}: real {Value(realPath, realSegments, real)}, ours {Value(oursPath, oursSegments, oursSymbols[real.Name])}");
            compared++;
        }

        Assert.True(compared >= 18, $"only {compared} ints compared");
    }

    [ToolFact("readelf")]
    public void Hidden_debugger_symbols_leave_dynsym_but_not_the_library()
    {
        using var temp = new TempFiles();
        var symbols = ReadElf.DynamicSymbols(temp.Write(Samples.Images("13.5", hideLibthrSymbols: true).Libthr));
        Assert.DoesNotContain(symbols, s => IsDebuggerSymbol(s.Name));
        Assert.Contains(symbols, s => s.Name == "pthread_create");
        Assert.Contains(symbols, s => s.Name == "pthread_cond_wait");
    }

    /// <summary>Offsets from spec §9.1 (tcb, magic, state, tle).</summary>
    private static (int Tcb, int Magic, int State, int Next) SpecOffsets(string version) => version switch
    {
        "10.4" => (480, 540, 392, 56),
        "11.4" or "12.4" => (544, 604, 392, 56),
        _ => (552, 620, 400, 64),
    };

    public static TheoryData<string> Versions => ["10.4", "11.4", "12.4", "13.5", "14.2"];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Tcb_and_struct_pthread_satisfy_the_spec_invariants(string version)
    {
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        var (offTcb, offMagic, offState, _) = SpecOffsets(version);
        Assert.Equal(23, process.Threads.Count);
        foreach (var thread in process.Threads)
        {
            var tcb = thread.Registers.FsBase;
            Assert.Equal(tcb, memory.U64(tcb));                             // tcb_self
            var pthread = memory.U64(tcb + 16);                             // tcb_thread
            Assert.Equal((ulong)thread.Lwp, memory.U64(pthread));           // tid at 0
            Assert.Equal(tcb, memory.U64(pthread + (ulong)offTcb));         // pthread->tcb
            Assert.Equal(0xd09ba115u, memory.U32(pthread + (ulong)offMagic)); // THR_MAGIC
            Assert.Equal(0u, memory.U32(pthread + (ulong)offState));        // PS_RUNNING
            Assert.NotEqual(0UL, memory.U64(tcb + 8));                      // tcb_dtv
            Assert.Equal(pthread, thread.PthreadAddress);
        }
    }

    [ToolTheory("readelf")]
    [MemberData(nameof(Versions))]
    public void Thread_list_found_through_libthr_symbols_links_every_thread_newest_first(string version)
    {
        // The procedure of spec §9.3: the VNODE mapping of libthr.so.3 at offset 0 is its ELF
        // header; resolve _thread_list and _thread_off_next through its .dynsym; walk.
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var libthr = process.Modules.Single(m => m.FileName == "libthr.so.3");
        var symbols = ReadElf.DynamicSymbols(temp.Write(libthr.Image)).ToDictionary(s => s.Name, s => s.Value);
        var text = process.Regions.Single(r => r.Path == "/lib/libthr.so.3" && r.FileOffset == 0 && r.Type == VmObjectType.Vnode);
        Assert.Equal("\u007fELF"u8.ToArray(), memory.Read(text.Start, 4));
        var head = text.Start + symbols["_thread_list"];
        var offNext = (ulong)memory.U32(text.Start + symbols["_thread_off_next"]);
        var offTid = (ulong)memory.U32(text.Start + symbols["_thread_off_tid"]);
        Assert.Equal((ulong)SpecOffsets(version).Next, offNext);

        var visited = new List<ulong>();
        var expectedPrev = head;
        for (var p = memory.U64(head); p != 0; p = memory.U64(p + offNext))
        {
            Assert.True(visited.Count < 100, "the list does not end");
            Assert.Equal(expectedPrev, memory.U64(p + offNext + 8)); // tqe_prev = &previous tqe_next
            visited.Add(memory.U64(p + offTid));
            expectedPrev = p + offNext;
        }

        Assert.Equal(expectedPrev, memory.U64(head + 8)); // tqh_last
        Assert.Equal(process.Threads.Select(t => (ulong)t.Lwp).Reverse(), visited);
        Assert.Equal((uint)process.Threads.Count, memory.U32(text.Start + symbols["_thread_active_threads"]));
    }

    [Fact]
    public void Pinned_pthread_belongs_to_the_load_data_thread_and_the_exited_thread_reads_as_terminated()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        var loadData = process.Threads[^1];
        Assert.Equal(0x829e76000UL, loadData.PthreadAddress);
        Assert.Equal((ulong)loadData.Lwp, memory.U64(0x829e76000));
        Assert.Equal(0x829e76000UL, memory.U64(process.Labels[$"thd:{loadData.Lwp}"] + MysqldProcessTemplate.ThdRealIdOffset));
        Assert.Contains("OS thread handle 0x829e76000,", memory.CString(process.Labels["innodb-status"]));

        var exited = Assert.Single(process.ExitedThreads);
        Assert.Equal(1UL, memory.U64(exited.PthreadAddress));      // TID_TERMINATED
        Assert.Equal(1u, memory.U32(exited.PthreadAddress + 400)); // PS_DEAD at the 13.x state offset
        Assert.Equal(0UL, memory.U64(exited.PthreadAddress + 552)); // TCB released
        Assert.Equal(exited.PthreadAddress, memory.U64(process.Labels["thd:exited"] + MysqldProcessTemplate.ThdRealIdOffset));
    }

    [Fact]
    public void A_dead_thread_still_listed_keeps_its_place_in_the_thread_list()
    {
        var v = FreeBsdVersion.V12_4;
        var images = MysqldProcessTemplate.BuildImages(new MysqldScenarioOptions { Version = v });
        var builder = new ProcessImageBuilder(v)
            .SetExecutable(images.Mysqld, MysqldImage.Path, [MysqldImage.Path], [])
            .SetRtld(images.Rtld)
            .AddLibrary(images.Libthr, "/lib/libthr.so.3")
            .AddLibrary(images.Libc, "/lib/libc.so.7")
            .AddThread(new ThreadSpec(100001, MysqldImage.Chain(v, MysqldThreadRole.MasterThread).Skip(1).Prepend("_start").ToList()) { IsMainThread = true })
            .AddExitedThread(new ExitedThreadSpec { InThreadList = true, FormerLwp = 100002 })
            .AddThread(new ThreadSpec(100003, MysqldImage.Chain(v, MysqldThreadRole.MasterThread)));
        var error = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("no call site", error.Message); // _start does not call srv_master_thread

        builder = new ProcessImageBuilder(v)
            .SetExecutable(images.Mysqld, MysqldImage.Path, [MysqldImage.Path], [])
            .SetRtld(images.Rtld)
            .AddLibrary(images.Libthr, "/lib/libthr.so.3")
            .AddLibrary(images.Libc, "/lib/libc.so.7")
            .AddThread(new ThreadSpec(100001, MysqldImage.Chain(v, MysqldThreadRole.Main)) { IsMainThread = true, SyscallArguments = [0, 0, 0] })
            .AddExitedThread(new ExitedThreadSpec { InThreadList = true, FormerLwp = 100002 })
            .AddThread(new ThreadSpec(100003, MysqldImage.Chain(v, MysqldThreadRole.MasterThread)));
        var process = builder.Build();
        var memory = new Memory(process);
        var head = process.ThreadListAddress!.Value;
        var tids = new List<ulong>();
        for (var p = memory.U64(head); p != 0; p = memory.U64(p + 56))
        {
            tids.Add(memory.U64(p));
        }

        Assert.Equal([100003UL, 1UL, 100001UL], tids);
        Assert.Equal(2u, memory.U32(process.SymbolAddress("_thread_active_threads")));
        var dead = Assert.Single(process.ExitedThreads);
        Assert.Equal(1u, memory.U32(dead.PthreadAddress + 392)); // PS_DEAD at the 11/12 state offset
        var deadTcb = memory.U64(dead.PthreadAddress + 544);
        Assert.Equal(deadTcb, memory.U64(deadTcb));
    }

    [Fact]
    public void Without_symbols_a_self_pointer_scan_maps_every_LWP_to_its_pthread()
    {
        // Spec §9.4 step 2, done here from the raw regions: *(A) == A, P = *(A+16), tid match,
        // and the back-pointer slot inside P that holds A gives off_tcb.
        var process = Samples.Mysqld("13.5", hideLibthrSymbols: true);
        var memory = new Memory(process);
        var lwps = process.Threads.Select(t => (ulong)t.Lwp).ToHashSet();
        var found = new Dictionary<ulong, ulong>();
        var offsets = new HashSet<ulong>();
        foreach (var region in process.Regions.Where(r => r.Type is VmObjectType.Default or VmObjectType.Swap && r.Contents.Length > 0 && (r.Protection & MemoryProtection.Write) != 0))
        {
            var span = region.Contents.Span;
            for (var i = 0; i + 24 <= span.Length; i += 8)
            {
                var a = region.Start + (ulong)i;
                if (BinaryPrimitives.ReadUInt64LittleEndian(span[i..]) != a)
                {
                    continue;
                }

                var p = BinaryPrimitives.ReadUInt64LittleEndian(span[(i + 16)..]);
                if (!memory.TryU64(p, out var tid) || !lwps.Contains(tid))
                {
                    continue;
                }

                for (ulong off = 8; off < 0x500; off += 8)
                {
                    if (memory.TryU64(p + off, out var back) && back == a)
                    {
                        found[tid] = p;
                        offsets.Add(off);
                    }
                }
            }
        }

        Assert.Equal(lwps.Order(), found.Keys.Order());
        Assert.Equal([552UL], offsets);
        Assert.All(process.Threads, t => Assert.Equal(t.PthreadAddress, found[(ulong)t.Lwp]));
    }
}

/// <summary>Reads a ProcessImage's regions directly (independent of ProcessImage's own helpers).</summary>
public sealed class Memory(ProcessImage process)
{
    public bool TryRead(ulong address, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var at = address + (ulong)done;
            var region = process.Regions.FirstOrDefault(r => at >= r.Start && at < r.End);
            if (region is null || region.Contents.Length == 0)
            {
                return false;
            }

            var offset = (int)(at - region.Start);
            var count = Math.Min(destination.Length - done, region.Contents.Length - offset);
            region.Contents.Span.Slice(offset, count).CopyTo(destination[done..]);
            done += count;
        }

        return true;
    }

    public byte[] Read(ulong address, int count)
    {
        var bytes = new byte[count];
        Assert.True(TryRead(address, bytes), $"0x{address:x} is not readable");
        return bytes;
    }

    public ulong U64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Read(address, 8));

    public uint U32(ulong address) => BinaryPrimitives.ReadUInt32LittleEndian(Read(address, 4));

    public bool TryU64(ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        var ok = TryRead(address, b);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    public string CString(ulong address)
    {
        var bytes = new List<byte>();
        for (var b = Read(address, 1)[0]; b != 0; b = Read(address + (ulong)bytes.Count, 1)[0])
        {
            bytes.Add(b);
        }

        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }
}
