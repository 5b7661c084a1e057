using System.Buffers.Binary;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Tests.Images;
using CoreSleuth.Tests.Writer;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// pthread_t ↔ LWP on every sample, by libthr's debugger symbols (spec §9.3) and by the
/// symbol-free signature scan (§9.4); and on a core that maps the real FreeBSD 13.5
/// libthr.so.3 of the corpus, whose own _thread_off_* values drive the walk.
/// </summary>
public class IdentityTests
{
    private static AnalysisOptions Options(string name, IdentityOptions identity) =>
        new() { Identity = identity, Sysroot = SampleSet.Sysroot(name) };

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void Debugger_symbols_find_every_thread_unless_libthr_hides_them(string name)
    {
        var b = SampleSet.Build(name);
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), Options(name, new IdentityOptions(UseDebuggerSymbols: true, UseSegmentBases: false, UseSignatureScan: false)));
        var found = analysis.Identity.ByLwp;
        if (b.Scenario.HideLibthrSymbols)
        {
            Assert.Empty(found);
            Assert.Contains(analysis.Identity.Notes, n => n.Contains("_thread_list", StringComparison.Ordinal));
            return;
        }
        foreach (var t in Expectations.Threads(b))
        {
            Assert.True(found.TryGetValue(t.Lwp, out var p), $"LWP {t.Lwp}: not found by the debugger symbols; notes: {string.Join(" | ", analysis.Identity.Notes)}");
            Assert.Equal(PthreadStrategy.DebuggerSymbols, p.Strategy);
            Assert.Equal(b.Process.PthreadOf(t.Lwp), p.Pthread);
            Assert.Equal(b.Process.Image.Threads.Single(i => i.Lwp == t.Lwp).TcbAddress, p.Tcb);
        }
        Assert.Equal(Expectations.TcbOffset(b.Process.Version), analysis.Identity.Layout!.TcbOffset);
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void The_signature_scan_alone_finds_every_thread(string name)
    {
        var b = SampleSet.Build(name);
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), Options(name, new IdentityOptions(UseDebuggerSymbols: false, UseSegmentBases: false)));
        foreach (var t in Expectations.Threads(b))
        {
            Assert.True(analysis.Identity.ByLwp.TryGetValue(t.Lwp, out var p), $"LWP {t.Lwp}: not found by the scan; notes: {string.Join(" | ", analysis.Identity.Notes)}");
            Assert.Equal(PthreadStrategy.SignatureScan, p.Strategy);
            Assert.Equal(b.Process.PthreadOf(t.Lwp), p.Pthread);
        }
        Assert.Equal(Expectations.Threads(b).Count, analysis.Identity.ByLwp.Count);
        Assert.Equal(Expectations.TcbOffset(b.Process.Version), analysis.Identity.Layout!.TcbOffset);
    }

    [Theory]
    [MemberData(nameof(SampleSet.All), MemberType = typeof(SampleSet))]
    public void By_default_the_first_strategy_that_applies_maps_every_thread_the_same_way(string name)
    {
        var b = SampleSet.Build(name);
        using var analysis = CoreAnalysis.Run(SampleSet.CorePath(name), Options(name, IdentityOptions.Default));
        var expectedStrategy = b.Scenario.HideLibthrSymbols
            ? Expectations.Producer(b) == CoreProducer.Gdb ? PthreadStrategy.SegmentBases : PthreadStrategy.SignatureScan
            : PthreadStrategy.DebuggerSymbols;
        Assert.Equal([expectedStrategy], analysis.Identity.StrategiesUsed);
        Assert.Equal(Expectations.Threads(b).Select(t => (t.Lwp, b.Process.PthreadOf(t.Lwp))).Order(),
            analysis.Identity.ByLwp.Values.Select(p => (p.Lwp, p.Pthread)).Order());
        // and the threads of the analysis carry them
        Assert.All(analysis.Threads, t => Assert.Equal((ulong?)b.Process.PthreadOf(t.Thread.Lwp), t.Pthread));
    }

    private const string RealLibthr = "binaries/freebsd13.5/libthr.so.3";

    [CorpusFact(RealLibthr, "readelf")]
    public void The_real_13_5_libthr_is_walked_with_its_own_offsets_from_a_sysroot() => WalkRealLibthr(textInCore: false);

    [CorpusFact(RealLibthr, "readelf")]
    public void The_real_13_5_libthr_is_walked_with_its_own_offsets_from_core_memory() => WalkRealLibthr(textInCore: true);

    /// <summary>
    /// A gcore core of a 13.5 process whose /lib/libthr.so.3 is the real one: its segments mapped
    /// as rtld maps them (placed from readelf's program headers), _thread_list in its .data patched
    /// to a list of struct pthread laid out with the offsets its own _thread_off_tcb/_next hold.
    /// </summary>
    private static void WalkRealLibthr(bool textInCore)
    {
        string file = Corpus.Find(RealLibthr)!;
        var bytes = File.ReadAllBytes(file);
        var segments = ReadElf.Segments(file).Where(s => s.Type == "LOAD").ToList();
        var symbols = ReadElf.DynamicSymbols(file).Where(s => s.Section != "UND").ToDictionary(s => s.Name, s => s.Value);
        ulong FileInt(string name) => ReadLinkTime(bytes, segments, symbols[name], 4) is { } v ? BinaryPrimitives.ReadUInt32LittleEndian(v) : 0;

        // The values spec §9.1 gives for 13.x, as the library itself records them.
        int offTcb = (int)FileInt("_thread_off_tcb"), offNext = (int)FileInt("_thread_off_next"), offTid = (int)FileInt("_thread_off_tid");
        Assert.Equal((552, 64, 0), (offTcb, offNext, offTid));

        const ulong Base = 0x800a00000, Heap = 0x801000000, HeapSize = 0x10000, Page = 0x1000;
        var mappings = new List<MappingSpec>();
        foreach (var s in segments)
        {
            ulong start = s.VirtualAddress & ~(Page - 1), fileEnd = s.VirtualAddress + s.FileSize, end = (fileEnd + Page - 1) & ~(Page - 1);
            var contents = new byte[end - start];
            ulong fileStart = s.Offset - (s.VirtualAddress - start);
            Array.Copy(bytes, (long)fileStart, contents, 0, (long)(fileEnd - start));
            bool exec = s.Flags.Contains('E'), write = s.Flags.Contains('W');
            int prot = KveProt.Read | (write ? KveProt.Write : 0) | (exec ? KveProt.Exec : 0);
            mappings.Add(MappingSpec.File(Base + start, end - start, "/lib/libthr.so.3", prot, fileStart, contents)
                with { Flags = write ? KveFlags.Cow : textInCore ? 0 : KveFlags.NoCoreDump });
            ulong bssEnd = (s.VirtualAddress + s.MemorySize + Page - 1) & ~(Page - 1);
            if (bssEnd > end) mappings.Add(MappingSpec.Anonymous(Base + end, bssEnd - end));
        }
        Assert.Equal(mappings.Count, mappings.Select(m => m.Start).Distinct().Count());

        // Four live threads and one exited (tid 1) in the list, newest first as THR_LIST_ADD leaves it.
        int[] lwps = [100700, 100701, 100702, 100703];
        var heap = new byte[HeapSize];
        ulong PthreadAt(int i) => Heap + 0x1000 + (ulong)i * 0x500;
        ulong TcbAt(int i) => Heap + 0x8000 + (ulong)i * 0x100;
        var listed = Enumerable.Range(0, lwps.Length + 1).Reverse().ToList(); // index lwps.Length = the exited one
        for (int k = 0; k < listed.Count; k++)
        {
            int i = listed[k];
            ulong p = PthreadAt(i), tcb = TcbAt(i);
            Put(heap, p - Heap + (ulong)offTid, i < lwps.Length ? (ulong)lwps[i] : 1UL);
            Put(heap, p - Heap + (ulong)offNext, k + 1 < listed.Count ? PthreadAt(listed[k + 1]) : 0);
            Put(heap, p - Heap + (ulong)offTcb, tcb);
            Put(heap, tcb - Heap, tcb);
            Put(heap, tcb - Heap + 16, p);
        }
        mappings.Add(MappingSpec.Anonymous(Heap, HeapSize, heap));
        var list = mappings.Single(m => m.Start <= Base + symbols["_thread_list"] && Base + symbols["_thread_list"] < m.End);
        var patched = list.Contents.ToArray();
        Put(patched, Base + symbols["_thread_list"] - list.Start, PthreadAt(listed[0]));
        mappings[mappings.IndexOf(list)] = list with { Contents = patched };

        var spec = new CoreSpec
        {
            Producer = Testing.Cores.CoreProducer.Gcore,
            OsRelDate = 1305000,
            Process = new ProcessSpec { Pid = 4321, Command = "mysqld" },
            Threads = [.. lwps.Select(l => new ThreadSpec { Lwp = l, Registers = new Registers { Rip = Base + 0xe000, Rsp = 0x7fffffffd000 } })],
            Mappings = mappings,
        };
        using var core = new TempFile();
        using (var stream = File.Create(core.Path)) CoreWriter.Write(spec, stream);
        var sysroot = Directory.CreateTempSubdirectory("coresleuth-real-libthr-");
        try
        {
            Directory.CreateDirectory(Path.Combine(sysroot.FullName, "lib"));
            File.Copy(file, Path.Combine(sysroot.FullName, "lib", "libthr.so.3"));
            using var analysis = CoreAnalysis.Run(core.Path, new AnalysisOptions
            {
                Identity = new IdentityOptions(UseDebuggerSymbols: true, UseSegmentBases: false, UseSignatureScan: false),
                Sysroot = textInCore ? null : sysroot.FullName,
            });
            var notes = string.Join(" | ", analysis.Identity.Notes);
            for (int i = 0; i < lwps.Length; i++)
            {
                Assert.True(analysis.Identity.ByLwp.TryGetValue(lwps[i], out var p), $"LWP {lwps[i]} not found; notes: {notes}");
                Assert.Equal((PthreadAt(i), (ulong?)TcbAt(i), PthreadStrategy.DebuggerSymbols), (p.Pthread, p.Tcb, p.Strategy));
            }
            Assert.Equal((0, (int?)offNext, offTcb), (analysis.Identity.Layout!.TidOffset, analysis.Identity.Layout.NextOffset, analysis.Identity.Layout.TcbOffset));
            Assert.Equal(HandleStatus.Terminated, analysis.Identity.ResolveHandle(PthreadAt(lwps.Length)).Status);
        }
        finally
        {
            sysroot.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A _thread_list whose last element links back to an earlier one (a damaged or hostile core)
    /// is walked once round: every thread is still found, and the loop is named where it closes,
    /// also when it closes on an element of no live thread (here made an exited one, tid 1).
    /// </summary>
    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public void A_thread_list_that_loops_back_is_walked_once_and_says_where_it_closes(int backTo, bool exited)
    {
        const string name = "mysqld-ghost-fifo";
        using var original = CoreAnalysis.Run(SampleSet.CorePath(name), Options(name, IdentityOptions.Default));
        int next = original.Identity.Layout!.NextOffset!.Value;
        var bytes = File.ReadAllBytes(SampleSet.CorePath(name));
        var fields = Hostile.CoreFields.Parse(bytes);
        ulong NextOf(ulong p) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(fields.FileOffsetOf(p + (ulong)next, 8)!.Value));
        // The list in its order: the element no other links to comes first.
        var pthreads = original.Identity.ByLwp.Values.Select(v => v.Pthread).ToList();
        var linked = pthreads.Select(NextOf).ToHashSet();
        var order = new List<ulong> { pthreads.Single(p => !linked.Contains(p)) };
        while (NextOf(order[^1]) is var n and not 0) order.Add(n);
        Assert.True(order.Count > backTo + 1, $"{order.Count} elements");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(fields.FileOffsetOf(order[^1] + (ulong)next, 8)!.Value), order[backTo]);
        if (exited) BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(fields.FileOffsetOf(order[backTo], 8)!.Value), (ulong)ThreadIdentity.TidTerminated);

        using var looped = new Hostile.TempCore(bytes, name + ".core");
        using var analysis = CoreAnalysis.Run(looped.Path, Options(name, new IdentityOptions(UseSegmentBases: false, UseSignatureScan: false)));
        Assert.Contains($"debugger symbols: _thread_list loops back to 0x{order[backTo]:x}; walk stopped", analysis.Identity.Notes);
        Assert.Contains(analysis.Identity.Notes, n => n.Contains($"{order.Count - (exited ? 1 : 0)} threads matched LWPs{(exited ? ", 1 exited" : "")}", StringComparison.Ordinal));
        var expected = original.Identity.ByLwp.Values.Where(v => !exited || v.Pthread != order[backTo]);
        Assert.Equal(expected.Select(v => (v.Lwp, v.Pthread, v.Strategy)).Order(), analysis.Identity.ByLwp.Values.Select(v => (v.Lwp, v.Pthread, v.Strategy)).Order());
    }

    private static void Put(byte[] b, ulong offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)offset), value);

    /// <summary>Bytes at a link-time address through the file's PT_LOADs; null in .bss (zero-initialised).</summary>
    private static byte[]? ReadLinkTime(byte[] file, IReadOnlyList<ReadElf.Segment> loads, ulong address, int count)
    {
        var s = loads.Single(l => address >= l.VirtualAddress && address < l.VirtualAddress + l.MemorySize);
        return address + (ulong)count > s.VirtualAddress + s.FileSize ? null : file.AsSpan((int)(s.Offset + address - s.VirtualAddress), count).ToArray();
    }
}
