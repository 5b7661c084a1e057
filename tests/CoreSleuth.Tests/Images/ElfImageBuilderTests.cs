using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CoreSleuth.Testing.Images;
using Iced.Intel;
using Decoder = Iced.Intel.Decoder;

namespace CoreSleuth.Tests.Images;

/// <summary>The ELF files are checked with readelf and llvm-readelf, which know nothing of the builder.</summary>
public sealed partial class ElfImageBuilderTests
{
    public static TheoryData<string> Versions => ["10.4", "11.4", "12.4", "13.5", "14.2"];

    [ToolTheory("readelf")]
    [MemberData(nameof(Versions))]
    public void Readelf_parses_every_image_without_warnings(string version)
    {
        using var temp = new TempFiles();
        foreach (var image in Samples.AllImages(Samples.Images(version)))
        {
            var path = temp.Write(image);
            var all = Tools.RunClean("readelf", "-W", "-a", path);
            Assert.Contains("OS/ABI:                            UNIX - FreeBSD", all);
            Assert.Contains("Machine:                           Advanced Micro Devices X86-64", all);
            Assert.Contains(image.Kind == ElfImageKind.Executable ? "EXEC (Executable file)" : "DYN (Shared object file)", all);
            foreach (var section in new[] { ".text", ".eh_frame", ".eh_frame_hdr", ".dynsym", ".dynstr", ".hash", ".gnu.hash", ".dynamic", ".data", ".shstrtab", ".note.tag" })
            {
                Assert.Contains(ReadElf.Sections(path), s => s.Name == section);
            }
        }
    }

    [ToolFact("readelf")]
    public void Executable_has_the_FreeBSD_program_headers_and_interpreter()
    {
        using var temp = new TempFiles();
        var mysqld = Samples.Images("13.5").Mysqld;
        var path = temp.Write(mysqld);
        var segments = ReadElf.Segments(path);
        Assert.Equal(["PHDR", "INTERP", "LOAD", "LOAD", "DYNAMIC", "NOTE", "GNU_EH_FRAME", "GNU_STACK"], segments.Select(s => s.Type));
        Assert.Equal("RE", segments[2].Flags);
        Assert.Equal(0x400000UL, segments[2].VirtualAddress);
        Assert.Equal("RW", segments[3].Flags);
        Assert.Equal(0x400040UL, segments[0].VirtualAddress); // PT_PHDR right after the ELF header
        Assert.Contains("[Requesting program interpreter: /libexec/ld-elf.so.1]", Tools.RunClean("readelf", "-W", "-l", path));
        var header = Tools.RunClean("readelf", "-W", "-h", path);
        Assert.Matches(@"Entry point address:\s+0x" + mysqld.Function("_start").Address.ToString("x", CultureInfo.InvariantCulture), header);
    }

    [ToolTheory("readelf")]
    [InlineData("10.4", "e0 51 0f 00")] // 1004000
    [InlineData("13.5", "a8 e9 13 00")] // 1305000, the bytes of the real 13.5 libthr.so.3's note
    public void Abi_tag_note_carries_the_osreldate(string version, string bytes)
    {
        using var temp = new TempFiles();
        var notes = Tools.RunClean("readelf", "-W", "-n", temp.Write(Samples.Images(version).Libthr));
        Assert.Contains("FreeBSD", notes);
        Assert.Contains("NT_VERSION (version)", notes);
        Assert.Contains("description data: " + bytes, notes);
    }

    [ToolFact("readelf")]
    public void Dynamic_section_names_needed_libraries_soname_and_tables()
    {
        using var temp = new TempFiles();
        var images = Samples.Images("13.5");
        var libthr = Tools.RunClean("readelf", "-W", "-d", temp.Write(images.Libthr));
        Assert.Contains("(NEEDED)             Shared library: [libc.so.7]", libthr);
        Assert.Contains("(SONAME)             Library soname: [libthr.so.3]", libthr);
        foreach (var tag in new[] { "(HASH)", "(GNU_HASH)", "(STRTAB)", "(SYMTAB)", "(STRSZ)", "(SYMENT)", "(VERSYM)", "(VERDEF)", "(VERDEFNUM)", "(PLTGOT)", "(JMPREL)" })
        {
            Assert.Contains(tag, libthr);
        }

        var mysqld = Tools.RunClean("readelf", "-W", "-d", temp.Write(images.Mysqld));
        foreach (var lib in MysqldImage.Needed)
        {
            Assert.Contains($"Shared library: [{lib}]", mysqld);
        }

        Assert.Contains("(DEBUG)", mysqld);
    }

    [ToolFact("readelf")]
    public void Dynamic_symbols_carry_types_sizes_and_versions()
    {
        using var temp = new TempFiles();
        var libc = Samples.Images("13.5").Libc;
        var symbols = ReadElf.DynamicSymbols(temp.Write(libc));

        var openat = symbols.Single(s => s.Name == "__sys_openat");
        Assert.Equal(("FUNC", "GLOBAL", "FBSDprivate_1.0", true), (openat.Type, openat.Bind, openat.Version, openat.DefaultVersion));
        Assert.Equal(17UL, openat.Size); // mov eax,N (5) + mov r10,rcx (3) + syscall (2) + jb rel32 (6) + ret (1), as in the real libc
        var alias = symbols.Single(s => s.Name == "_openat");
        Assert.Equal(("WEAK", openat.Value, openat.Size), (alias.Bind, alias.Value, alias.Size));

        var interposing = symbols.Single(s => s.Name == "__libc_interposing");
        Assert.Equal("OBJECT", interposing.Type);
        Assert.Equal("FBSDprivate_1.0", interposing.Version);
        Assert.DoesNotContain(symbols, s => s.Name == ".cerror");

        var open = symbols.Single(s => s.Name == "open");
        Assert.Equal(("FUNC", "WEAK", "FBSD_1.0"), (open.Type, open.Bind, open.Version));
    }

    [ToolFact("readelf", "objdump")]
    public void Every_function_symbol_covers_exactly_its_code()
    {
        // Independent check of st_size: disassemble each symbol's range with Iced; the last
        // instruction must be a ret or jmp and no instruction may run past the end.
        using var temp = new TempFiles();
        foreach (var image in Samples.AllImages(Samples.Images("13.5")))
        {
            var path = temp.Write(image);
            var segments = ReadElf.Segments(path);
            foreach (var s in ReadElf.DynamicSymbols(path).Where(s => s.Type == "FUNC" && s.Section != "UND"))
            {
                var code = ReadElf.ReadAt(path, segments, s.Value, (int)s.Size)!;
                var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
                decoder.IP = s.Value;
                Instruction last = default;
                while (decoder.IP < s.Value + s.Size)
                {
                    decoder.Decode(out last);
                    Assert.False(last.IsInvalid, $"{image.FileName}!{s.Name}: invalid instruction at 0x{last.IP:x}");
                }

                Assert.Equal(s.Value + s.Size, decoder.IP);
                Assert.True(last.Mnemonic is Mnemonic.Ret or Mnemonic.Jmp, $"{image.FileName}!{s.Name} ends with {last}");
            }
        }
    }

    [ToolFact("objdump", NeedsSyscallTable = true)]
    public void Syscall_stubs_are_the_FreeBSD_libc_sequence_with_the_spec_numbers()
    {
        var numbers = SyscallTable.NumbersByName();
        foreach (var version in new[] { "10.4", "13.5" })
        {
            using var temp = new TempFiles();
            var libc = Samples.Images(version).Libc;
            var disassembly = Tools.RunClean("objdump", "-d", "--no-show-raw-insn", temp.Write(libc));
            var stubs = StubRegex().Matches(disassembly);
            Assert.NotEmpty(stubs);
            var seen = new HashSet<string>();
            foreach (Match m in stubs)
            {
                var name = m.Groups[1].Value;
                var number = int.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var syscall = name["__sys_".Length..];
                var expected = version == "10.4" && syscall == "kevent" ? 363 : numbers[syscall];
                Assert.True(expected == number, $"{version} {name}: mov eax,{number} but the spec says {syscall} = {expected}");
                seen.Add(syscall);
            }

            var expectedStubs = new HashSet<string> { "open", "poll", "select", "nanosleep", "sigwait", "read", "accept", "kevent", "_umtx_op" };
            if (version != "10.4")
            {
                expectedStubs.Add("openat");
            }

            Assert.Superset(expectedStubs, seen);
        }
    }

    // "<__sys_x@@…>:\n  addr:\tmov    $0x1f3,%eax\n  addr:\tmov    %rcx,%r10\n  addr:\tsyscall\n  addr:\tjb  …\n  addr:\tret"
    [GeneratedRegex(@"<(__sys_\w+)@@FBSDprivate_1\.0>:\n\s+[0-9a-f]+:\s+mov\s+\$0x([0-9a-f]+),%eax\n\s+[0-9a-f]+:\s+mov\s+%rcx,%r10\n\s+[0-9a-f]+:\s+syscall\s*\n\s+[0-9a-f]+:\s+jb\s+[0-9a-f]+ <[^>]*>\n\s+[0-9a-f]+:\s+ret")]
    private static partial Regex StubRegex();

    [ToolFact("llvm-readelf")]
    public void Hash_tables_find_every_exported_symbol_in_its_bucket()
    {
        // llvm-readelf walks both tables; the bucket it found each symbol in must be the one the
        // gABI hash functions (computed here) assign, and the GNU bloom filter must admit it.
        using var temp = new TempFiles();
        foreach (var image in Samples.AllImages(Samples.Images("13.5")))
        {
            var path = temp.Write(image);
            var defined = ReadElf.DynamicSymbols(path).Where(s => s.Section != "UND" && s.Index > 0).Select(s => s.Name).ToHashSet();
            var output = Tools.RunClean("llvm-readelf", "--hash-symbols", path);
            var gnuTable = Tools.RunClean("llvm-readelf", "--gnu-hash-table", path);
            var sysvBuckets = int.Parse(BucketsRegex().Match(Tools.RunClean("llvm-readelf", "--hash-table", path)).Groups[1].Value, CultureInfo.InvariantCulture);
            var gnuBuckets = int.Parse(GnuBucketsRegex().Match(gnuTable).Groups[1].Value, CultureInfo.InvariantCulture);
            var shift = int.Parse(ShiftRegex().Match(gnuTable).Groups[1].Value, CultureInfo.InvariantCulture);
            var bloom = BloomRegex().Match(gnuTable).Groups[1].Value.Split(',').Select(w => ulong.Parse(w.Trim()[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

            var sections = output.Split("Symbol table of .gnu.hash");
            var sysvFound = SymbolInBucket().Matches(sections[0]).ToDictionary(m => StripVersion(m.Groups[2].Value), m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            var gnuFound = SymbolInBucket().Matches(sections[1]).ToDictionary(m => StripVersion(m.Groups[2].Value), m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            foreach (var name in defined)
            {
                Assert.True(sysvFound.TryGetValue(name, out var b1), $"{image.FileName}: {name} not reachable through .hash");
                Assert.Equal((int)(SysVHash(name) % (uint)sysvBuckets), b1);
                Assert.True(gnuFound.TryGetValue(name, out var b2), $"{image.FileName}: {name} not reachable through .gnu.hash");
                var h = GnuHash(name);
                Assert.Equal((int)(h % (uint)gnuBuckets), b2);
                var word = bloom[(h / 64) % (uint)bloom.Length];
                Assert.True((word & (1UL << (int)(h % 64))) != 0 && (word & (1UL << (int)((h >> shift) % 64))) != 0, $"{name} rejected by the bloom filter");
            }
        }
    }

    private static string StripVersion(string name) => name.Split('@')[0];

    [GeneratedRegex(@"^\s*\d+\s+(\d+):\s+[0-9a-f]+\s+\d+\s+\w+\s+\w+\s+\w+\s+\d+\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex SymbolInBucket();

    [GeneratedRegex(@"Num Buckets: (\d+)")]
    private static partial Regex GnuBucketsRegex();

    [GeneratedRegex(@"Shift Count: (\d+)")]
    private static partial Regex ShiftRegex();

    [GeneratedRegex(@"Bloom Filter: \[([^\]]*)\]")]
    private static partial Regex BloomRegex();

    [GeneratedRegex(@"Num Buckets: (\d+)")]
    private static partial Regex BucketsRegex();

    /// <summary>gABI "Hash Table" figure, written out here independently of the builder.</summary>
    private static uint SysVHash(string name)
    {
        uint h = 0;
        foreach (var c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    private static uint GnuHash(string name) => Encoding.ASCII.GetBytes(name).Aggregate(5381u, (h, c) => unchecked((h << 5) + h + c));

    [ToolFact("readelf")]
    public void Version_definitions_list_the_base_and_the_FreeBSD_versions()
    {
        using var temp = new TempFiles();
        var output = Tools.RunClean("readelf", "-W", "-V", temp.Write(Samples.Images("13.5").Libthr));
        Assert.Contains("Flags: BASE  Index: 1  Cnt: 1  Name: libthr.so.3", output);
        Assert.Contains("Name: FBSD_1.0", output);
        Assert.Matches(@"Index: \d+  Cnt: 1  Name: FBSDprivate_1\.0", output);
    }

    [ToolFact("readelf")]
    public void Plt_entries_jump_through_got_slots_named_by_jump_slot_relocations()
    {
        using var temp = new TempFiles();
        var libthr = Samples.Images("13.5").Libthr;
        var path = temp.Write(libthr);
        var relocations = Tools.RunClean("readelf", "-W", "-r", path);
        var slots = JumpSlotRegex().Matches(relocations).ToDictionary(m => m.Groups[2].Value, m => ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Contains("__sys_openat", slots.Keys);

        // Decode the PLT: each entry is `jmp qword ptr [rip+x]` with x = the relocated GOT slot.
        var plt = ReadElf.Sections(path).Single(s => s.Name == ".plt");
        var bytes = File.ReadAllBytes(path).AsSpan((int)plt.Offset, (int)plt.Size).ToArray();
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes));
        decoder.IP = plt.Address;
        var jumpTargets = new List<ulong>();
        while (decoder.IP < plt.Address + plt.Size)
        {
            decoder.Decode(out var instruction);
            if (instruction.Mnemonic == Mnemonic.Jmp && instruction.IsIPRelativeMemoryOperand)
            {
                jumpTargets.Add(instruction.IPRelativeMemoryAddress);
            }
        }

        Assert.Superset(slots.Values.ToHashSet(), jumpTargets.ToHashSet());
    }

    [GeneratedRegex(@"^([0-9a-f]+)\s+[0-9a-f]+\s+R_X86_64_JUMP_SLOT\s+[0-9a-f]+\s+(\S+?)(?:@\S+)? \+ 0", RegexOptions.Multiline)]
    private static partial Regex JumpSlotRegex();

    [Fact]
    public void Same_spec_gives_the_same_bytes()
    {
        var a = ElfImageBuilder.Build(FreeBsdSystemImages.Libthr(FreeBsdVersion.V13_5));
        var b = ElfImageBuilder.Build(FreeBsdSystemImages.Libthr(FreeBsdVersion.V13_5));
        Assert.Equal(a.FileBytes, b.FileBytes);
        Assert.NotEqual(a.FileBytes, ElfImageBuilder.Build(FreeBsdSystemImages.Libthr(FreeBsdVersion.V10_4)).FileBytes);
    }

    [Fact]
    public void Invalid_specs_are_refused()
    {
        var lib = new ElfImageSpec(ElfImageKind.SharedLibrary, "libx.so.1") { SoName = "libx.so.1" };
        Assert.Throws<ArgumentException>(() => ElfImageBuilder.Build(lib with { Functions = [new("f"), new("f")] }));
        Assert.Throws<ArgumentException>(() => ElfImageBuilder.Build(lib with { Functions = [new("f") { Version = "FBSD_9.9" }] }));
        Assert.Throws<ArgumentException>(() => ElfImageBuilder.Build(lib with { Functions = [new("f") { Calls = [CallSite.ThroughSlot("table", 0)] }] }));
        Assert.Throws<ArgumentException>(() => ElfImageBuilder.Build(lib with { SoName = null }));
        Assert.Throws<ArgumentException>(() => ElfImageBuilder.Build(lib with { Functions = [new("f") { Calls = [CallSite.ThroughThreadPointer(8)] }] }));
    }

    [ToolFact("readelf")]
    public void Code_is_where_the_symbols_say_and_data_holds_its_initial_values()
    {
        using var temp = new TempFiles();
        var libthr = Samples.Images("13.5").Libthr;
        var path = temp.Write(libthr);
        var segments = ReadElf.Segments(path);
        var symbols = ReadElf.DynamicSymbols(path);
        var state = symbols.Single(s => s.Name == "_thread_off_state");
        Assert.Equal(400, BinaryPrimitives.ReadInt32LittleEndian(ReadElf.ReadAt(path, segments, state.Value, 4)));
        var zero = symbols.Single(s => s.Name == "_thread_off_tid");
        Assert.Equal(".bss", ReadElf.Sections(path).Single(s => s.Index.ToString(CultureInfo.InvariantCulture) == zero.Section).Name);
        Assert.Null(ReadElf.ReadAt(path, segments, zero.Value, 4)); // NOBITS: no file bytes, as in the real library
    }
}
