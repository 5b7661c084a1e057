using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Images;

/// <summary>The address space: regions, mapped files, the initial stack and auxv, runtime linkage.</summary>
public sealed partial class ProcessImageTests
{
    public static TheoryData<string> Versions => ["10.4", "13.5", "14.2"];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Regions_are_sorted_disjoint_page_aligned_and_sized(string version)
    {
        var process = Samples.Mysqld(version);
        for (var i = 0; i < process.Regions.Count; i++)
        {
            var r = process.Regions[i];
            Assert.True(r.Start % 0x1000 == 0 && r.End % 0x1000 == 0 && r.End > r.Start, r.ToString());
            Assert.Equal(r.IsReadable ? (int)(r.End - r.Start) : 0, r.Contents.Length);
            if (i > 0)
            {
                Assert.True(process.Regions[i - 1].End <= r.Start, $"{process.Regions[i - 1]} overlaps {r}");
            }
        }
    }

    [Theory]
    [InlineData("10.4", 0x7ffffffff000UL, 0x800000000000UL, 0x7fffffffefe0UL)] // as in the 11.0 core of the corpus
    [InlineData("13.5", 0x7fffffffe000UL, 0x7ffffffff000UL, 0x7fffffffdfe0UL)] // as in the 13/14 cores
    public void Main_stack_and_shared_page_sit_where_FreeBSD_puts_them(string version, ulong stackTop, ulong sharedEnd, ulong psStrings)
    {
        var process = Samples.Mysqld(version);
        var stack = process.Regions.Single(r => r.End == stackTop);
        Assert.Equal(MemoryRegionFlags.GrowsDown, stack.Flags);
        Assert.Equal(MemoryProtection.ReadWrite, stack.Protection);
        var shared = process.Regions.Single(r => r.Start == stackTop);
        Assert.Equal((sharedEnd, VmObjectType.Phys, MemoryProtection.ReadExecute), (shared.End, shared.Type, shared.Protection));
        Assert.Equal(psStrings, process.PsStringsAddress);
        Assert.True(stack.Contains(process.Threads[0].Registers.Rsp));
        Assert.True(process.Threads[0].IsMainThread);
    }

    [Fact]
    public void Thread_stacks_grow_down_below_the_main_stack_reservation()
    {
        var process = Samples.Mysqld("14.2");
        var limit = new MysqldScenarioOptions().Layout.StackLimit;
        foreach (var thread in process.Threads.Skip(1))
        {
            var region = process.Regions.Single(r => r.Contains(thread.Registers.Rsp));
            Assert.Equal((MemoryRegionFlags.GrowsDown, VmObjectType.Default), (region.Flags, region.Type));
            Assert.True(region.End <= 0x7fffffffe000UL - limit, $"LWP {thread.Lwp} stack at {region}");
            var below = process.Regions.Single(r => r.End == region.Start);
            Assert.Equal((MemoryProtection.None, VmObjectType.Guard), (below.Protection, below.Type)); // 14.x reports the reservation as a guard entry
        }
    }

    [ToolFact("readelf")]
    public void Text_mappings_start_with_the_files_and_are_marked_as_rtld_maps_them()
    {
        var process = Samples.Mysqld("13.5");
        using var temp = new TempFiles();
        foreach (var module in process.Modules)
        {
            var text = process.Regions.Single(r => r.Path == module.Path && r.Protection == MemoryProtection.ReadExecute);
            Assert.Equal(VmObjectType.Vnode, text.Type);
            Assert.Equal(MemoryProtection.ReadExecute, text.Protection);
            Assert.Equal(MemoryRegionFlags.CopyOnWrite | MemoryRegionFlags.NeedsCopy | MemoryRegionFlags.NoCoreDump, text.Flags); // flags 0x7, as in the corpus cores
            var file = module.Image.FileBytes;
            var textEnd = ReadElf.Segments(temp.Write(module.Image)).First(s => s.Type == "LOAD").FileSize;
            Assert.Equal(file.AsSpan(0, (int)textEnd).ToArray(), text.Contents.Span[..(int)textEnd].ToArray());

            var data = process.Regions.Single(r => r.Path == module.Path && r.Protection == MemoryProtection.ReadWrite);
            Assert.Equal((VmObjectType.Vnode, MemoryRegionFlags.CopyOnWrite), (data.Type, data.Flags));
            Assert.Equal(0UL, data.FileOffset % 0x1000);
        }
    }

    [ToolFact("readelf")]
    public void Auxv_points_at_the_mapped_headers_entry_interpreter_and_strings()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var exe = process.Modules.Single(m => m.Path == MysqldImage.Path);
        var exePath = temp.Write(exe.Image);
        var header = Tools.RunClean("readelf", "-W", "-h", exePath);
        ulong HeaderValue(string field) => ulong.Parse(Regex.Match(header, field + @":\s+(?:0x)?([0-9a-f]+)").Groups[1].Value, field.Contains("Entry", StringComparison.Ordinal) ? NumberStyles.HexNumber : NumberStyles.Integer, CultureInfo.InvariantCulture);

        var auxv = process.Auxv.ToDictionary(a => a.Type, a => a.Value);
        Assert.Equal(AuxvType.Null, process.Auxv[^1].Type);
        Assert.Equal(0x1000UL, auxv[AuxvType.Pagesz]);
        Assert.Equal(56UL, auxv[AuxvType.Phent]);
        Assert.Equal(HeaderValue("Number of program headers"), auxv[AuxvType.Phnum]);
        Assert.Equal(HeaderValue("Entry point address"), auxv[AuxvType.Entry]);
        var phoff = (int)HeaderValue("Start of program headers");
        Assert.Equal(exe.Image.FileBytes.AsSpan(phoff, 56 * (int)auxv[AuxvType.Phnum]).ToArray(), memory.Read(auxv[AuxvType.Phdr], 56 * (int)auxv[AuxvType.Phnum]));
        Assert.Equal("\u007fELF"u8.ToArray(), memory.Read(auxv[AuxvType.Base], 4));
        Assert.Equal("/libexec/ld-elf.so.1", process.Regions.Single(r => r.Start == auxv[AuxvType.Base]).Path);
        Assert.Equal(MysqldImage.Path, memory.CString(auxv[AuxvType.ExecPath]));
        Assert.Equal(1305000UL, auxv[AuxvType.OsRelDate]);
        Assert.Equal(process.PsStringsAddress, auxv[AuxvType.PsStrings]);

        // ps_strings → argv/envp, as ps(1) reads them.
        var ps = process.PsStringsAddress;
        var argv = memory.U64(ps);
        var argc = memory.U32(ps + 8);
        Assert.Equal(argv, auxv[AuxvType.Argv]);
        Assert.Equal((ulong)argc, auxv[AuxvType.Argc]);
        Assert.Equal(process.Arguments, Enumerable.Range(0, (int)argc).Select(i => memory.CString(memory.U64(argv + (ulong)(8 * i)))));
        Assert.Equal(0UL, memory.U64(argv + (8 * argc)));
        var envv = memory.U64(ps + 16);
        Assert.Equal(process.Environment, Enumerable.Range(0, (int)memory.U32(ps + 24)).Select(i => memory.CString(memory.U64(envv + (ulong)(8 * i)))));
        Assert.Equal((ulong)argc, memory.U64(argv - 8)); // argc just below argv, where _start finds it
    }

    [Fact]
    public void Auxv_of_older_releases_has_no_argv_entries()
    {
        var types = Samples.Mysqld("10.4").Auxv.Select(a => a.Type).ToList();
        // The order of the 11.0 core in the corpus.
        Assert.Equal([AuxvType.Phdr, AuxvType.Phent, AuxvType.Phnum, AuxvType.Pagesz, AuxvType.Flags, AuxvType.Entry, AuxvType.Base, AuxvType.ExecPath, AuxvType.OsRelDate, AuxvType.Canary, AuxvType.CanaryLen, AuxvType.NCpus, AuxvType.PageSizes, AuxvType.PageSizesLen, AuxvType.TimeKeep, AuxvType.StackProt, AuxvType.Null], types);
    }

    [ToolTheory("readelf")]
    [InlineData("10.4", "libthr.so.3")]
    [InlineData("13.5", "libc.so.7")]
    public void Got_slots_hold_the_definitions_rtld_would_bind(string version, string openProvider)
    {
        // 10.x: libthr's `open` interposes libc's; 11+: libthr exports no `open`, libc's wrapper is used.
        var process = Samples.Mysqld(version);
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var exe = process.Modules.Single(m => m.Path == MysqldImage.Path);
        var relocations = Tools.RunClean("readelf", "-W", "-r", temp.Write(exe.Image));
        var slot = ulong.Parse(Regex.Match(relocations, @"^([0-9a-f]+)\s+\S+\s+R_X86_64_JUMP_SLOT\s+[0-9a-f]+\s+open \+ 0", RegexOptions.Multiline).Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var provider = process.Modules.Single(m => m.FileName == openProvider);
        var definition = ReadElf.DynamicSymbols(temp.Write(provider.Image)).Single(s => s.Name == "open" && s.Section != "UND");
        Assert.Equal(provider.Start + definition.Value, memory.U64(slot));
    }

    [ToolFact("readelf")]
    public void Dt_debug_leads_to_r_debug_and_a_link_map_of_every_object()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        using var temp = new TempFiles();
        var exe = process.Modules.Single(m => m.Path == MysqldImage.Path);
        var dynamic = ReadElf.Segments(temp.Write(exe.Image)).Single(s => s.Type == "DYNAMIC");
        ulong rdebug = 0;
        for (var at = dynamic.VirtualAddress; at < dynamic.VirtualAddress + dynamic.MemorySize; at += 16)
        {
            if (memory.U64(at) == 21) // DT_DEBUG
            {
                rdebug = memory.U64(at + 8);
            }
        }

        Assert.NotEqual(0UL, rdebug);
        Assert.Equal(1u, memory.U32(rdebug)); // r_version
        var names = new List<string>();
        ulong previous = 0;
        for (var lm = memory.U64(rdebug + 8); lm != 0; lm = memory.U64(lm + 24))
        {
            Assert.Equal(previous, memory.U64(lm + 32)); // l_prev
            var name = memory.CString(memory.U64(lm + 8));
            names.Add(name);
            var module = process.Modules.Single(m => m.Path == name);
            var ld = ReadElf.Segments(temp.Write(module.Image)).Single(s => s.Type == "DYNAMIC").VirtualAddress;
            Assert.Equal(module.Image.Kind == ElfImageKind.Executable ? ld : module.Start + ld, memory.U64(lm + 16)); // l_ld
            previous = lm;
        }

        Assert.Equal(MysqldImage.Path, names[0]);
        Assert.Equal("/libexec/ld-elf.so.1", names[^1]);
        Assert.Equal(process.Modules.Count, names.Count);
    }

    [Fact]
    public void Placed_strings_are_where_they_were_asked_for()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        Assert.Equal(0x7ffffd1a3c80UL, process.Labels["fifo-path"]);
        Assert.Equal("/tmp/ghost.fifo", memory.CString(0x7ffffd1a3c80));
        var loadData = process.Threads[^1];
        Assert.True(0x7ffffd1a3c80 >= loadData.Registers.Rsp && 0x7ffffd1a3c80 < loadData.StackEnd);
        var statement = process.Labels["statement"];
        Assert.Equal("LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t1", memory.CString(statement));
        Assert.Equal(VmObjectType.Default, process.Regions.Single(r => r.Contains(statement)).Type);
        Assert.Equal(statement, memory.U64(process.Labels[$"thd:{loadData.Lwp}"] + MysqldProcessTemplate.ThdQueryOffset));
    }

    [Fact]
    public void Building_twice_gives_identical_processes()
    {
        var options = new MysqldScenarioOptions { Version = FreeBsdVersion.V11_4, LoadDataPthread = null, FifoPathAddress = null };
        var a = MysqldProcessTemplate.Build(options);
        var b = MysqldProcessTemplate.Build(options);
        Assert.Equal(a.Regions.Count, b.Regions.Count);
        for (var i = 0; i < a.Regions.Count; i++)
        {
            Assert.Equal(a.Regions[i] with { Contents = default }, b.Regions[i] with { Contents = default });
            Assert.True(a.Regions[i].Contents.Span.SequenceEqual(b.Regions[i].Contents.Span), a.Regions[i].ToString());
        }

        Assert.Equal(a.Threads.Select(t => t.Registers), b.Threads.Select(t => t.Registers));
        Assert.Equal(a.Auxv, b.Auxv);
        Assert.Contains($"OS thread handle 0x{a.Threads[^1].PthreadAddress:x},", new Memory(a).CString(a.Labels["innodb-status"]));
    }

    [Fact]
    public void Impossible_requests_are_refused_with_a_reason()
    {
        var v = FreeBsdVersion.V13_5;
        var images = Samples.Images("13.5");
        ProcessImageBuilder Base() => new ProcessImageBuilder(v)
            .SetExecutable(images.Mysqld, MysqldImage.Path, [MysqldImage.Path], [])
            .SetRtld(images.Rtld)
            .AddLibrary(images.Libthr, "/lib/libthr.so.3")
            .AddLibrary(images.Libc, "/lib/libc.so.7")
            .AddThread(new ThreadSpec(100, MysqldImage.Chain(v, MysqldThreadRole.Main)) { IsMainThread = true });

        var pthreadOutsideHeap = Base().AddThread(new ThreadSpec(101, MysqldImage.Chain(v, MysqldThreadRole.MasterThread)) { PthreadAddress = 0x7000 });
        Assert.Contains("not inside a heap region", Assert.Throws<ArgumentException>(pthreadOutsideHeap.Build).Message);

        var tooBig = Base().AddThread(new ThreadSpec(101, MysqldImage.Chain(v, MysqldThreadRole.MasterThread)) { FrameData = [new FrameData("big", MysqldImage.OsThreadSleep, new byte[4096])] });
        Assert.Contains("outside", Assert.Throws<ArgumentException>(tooBig.Build).Message);

        var unreachable = Base().AddThread(new ThreadSpec(101, ["thread_start", "srv_master_thread", "__sys_poll"]));
        Assert.Contains("no call site", Assert.Throws<ArgumentException>(unreachable.Build).Message);

        var duplicate = Base().AddThread(new ThreadSpec(100, MysqldImage.Chain(v, MysqldThreadRole.MasterThread)));
        Assert.Throws<InvalidOperationException>(duplicate.Build);

        var notAStub = Base().AddThread(new ThreadSpec(101, ["thread_start", "srv_master_thread"]));
        Assert.Contains("not a syscall stub", Assert.Throws<ArgumentException>(notAStub.Build).Message);
    }

    [Fact]
    public void Heap_regions_hold_the_pinned_pthread_chunk()
    {
        var process = Samples.Mysqld("13.5");
        var chunk = process.Regions.Single(r => r.Contains(0x829e76000));
        Assert.Equal((0x829e00000UL, 0x82a000000UL, VmObjectType.Default, MemoryProtection.ReadWrite), (chunk.Start, chunk.End, chunk.Type, chunk.Protection));
        Assert.Null(chunk.Path);
        Assert.Contains(process.Regions, r => r.Start >= 0x801000000 && r.Start < 0x802000000 && r.Type == VmObjectType.Default && r.Size == 0x200000);
        var rtld = process.Regions.Single(r => r.Path == "/libexec/ld-elf.so.1" && r.Protection == MemoryProtection.ReadExecute);
        Assert.InRange(rtld.Start, 0x800600000UL, 0x800700000UL);
    }

    [Fact]
    public void Memory_read_helpers_agree_with_the_regions()
    {
        var process = Samples.Mysqld("13.5");
        var memory = new Memory(process);
        var t = process.Threads[5];
        Assert.Equal(memory.U64(t.Registers.Rsp), process.ReadUInt64(t.Registers.Rsp));
        Assert.False(process.TryRead(0x1000, new byte[8]));
        Assert.Equal(process.Threads[^1].Frames[0].Function.Name, process.Symbolize(process.Threads[^1].Registers.Rip)!.Value.Function.Name);
        Assert.Equal(process.Module("libc.so.7").SymbolAddress("__sys_openat"), process.SymbolAddress("libc.so.7!__sys_openat"));
    }
}
