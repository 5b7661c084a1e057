using CoreSleuth.Testing.Images;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Images;

/// <summary>
/// The writer's shapes of unwind information that real binaries have and our reader must cope
/// with: functions with code and symbol but no FDE (FreeBSD ≤ 12's assembly syscall stubs), an
/// image without PT_GNU_EH_FRAME whose .eh_frame is found through the section headers, code
/// without frame pointers — checked with readelf and llvm-dwarfdump.
/// </summary>
public sealed class UnwindShapeTests
{
    private static bool Covered(IReadOnlyList<DwarfFde> fdes, ulong address) => fdes.Any(f => f.PcBegin <= address && address < f.PcEnd);

    [ToolTheory("llvm-dwarfdump", "readelf")]
    [InlineData("10.4", false)]
    [InlineData("11.4", false)]
    [InlineData("12.4", false)]
    [InlineData("13.5", true)]
    [InlineData("14.2", true)]
    public void Syscall_stubs_have_an_FDE_from_13_on_and_none_before(string version, bool expectFde)
    {
        // FreeBsdSystemImages.SyscallStubsHaveCfi: corpus 13.5 libc/libthr have FDEs for the stubs, 12.0 libc has none.
        var v = Samples.Version(version);
        using var temp = new TempFiles();
        foreach (var spec in new[] { FreeBsdSystemImages.Libc(v), FreeBsdSystemImages.Libthr(v) })
        {
            var image = ElfImageBuilder.Build(spec);
            var fdes = DwarfDump.EhFrame(temp.Write(image));
            var stubs = image.Functions.Where(f => f.Spec.SyscallNumber is not null).ToList();
            Assert.NotEmpty(stubs);
            foreach (var stub in stubs)
                Assert.True(Covered(fdes, stub.Address) == expectFde, $"{version} {image.FileName}!{stub.Name}: FDE {(expectFde ? "missing" : "present")}");
            // Everything else keeps its FDE, and the search table lists exactly the FDEs.
            Assert.All(image.Functions.Where(f => f.Spec.SyscallNumber is null), f => Assert.True(Covered(fdes, f.Address), $"{f.Name} has no FDE"));
            Assert.Equal(fdes.Count, image.Functions.Count(f => image.Spec.EmitsFde(f.Spec)));
        }
    }

    [ToolFact("llvm-dwarfdump", "readelf")]
    public void A_function_can_be_emitted_without_an_FDE_but_with_its_symbol_and_code()
    {
        var spec = FreeBsdSystemImages.Libc(FreeBsdVersion.V13_5);
        spec = spec with { Functions = [.. spec.Functions.Select(f => f.Name == "malloc" ? f with { HasFde = false } : f)] };
        var image = ElfImageBuilder.Build(spec);
        using var temp = new TempFiles();
        var path = temp.Write(image);
        var malloc = image.Function("malloc");
        Assert.False(Covered(DwarfDump.EhFrame(path), malloc.Address));
        Assert.Contains(ReadElf.DynamicSymbols(path), s => s.Name == "malloc" && s.Value == malloc.Address && s.Size == (ulong)malloc.Size);
        Assert.True(Covered(DwarfDump.EhFrame(path), image.Function("free").Address));
    }

    [ToolFact("llvm-dwarfdump", "readelf")]
    public void An_image_without_eh_frame_hdr_has_no_PT_GNU_EH_FRAME_but_a_findable_eh_frame_section()
    {
        var spec = MysqldImage.Spec(FreeBsdVersion.V11_4, false) with { EhFrameHeader = false };
        var image = ElfImageBuilder.Build(spec);
        using var temp = new TempFiles();
        var path = temp.Write(image);
        Assert.Null(image.EhFrameHeaderAddress);
        var segments = ReadElf.Segments(path);
        Assert.DoesNotContain(segments, s => s.Type == "GNU_EH_FRAME");
        Assert.Contains(segments, s => s.Type == "GNU_STACK");
        Assert.Equal(image.ProgramHeaderCount, segments.Count);
        var sections = ReadElf.Sections(path);
        Assert.DoesNotContain(sections, s => s.Name == ".eh_frame_hdr");
        var ehFrame = sections.Single(s => s.Name == ".eh_frame");
        Assert.Equal(image.EhFrameAddress, ehFrame.Address);
        // llvm-dwarfdump finds the FDEs through the section header alone.
        var fdes = DwarfDump.EhFrame(path);
        Assert.Equal(image.Functions.Count, fdes.Count);
        Assert.True(Covered(fdes, image.Function("_start").Address));
    }

    [Fact]
    public void Scenario_images_member_sets_the_options_per_image_and_rejects_unknown_names()
    {
        var temp = Directory.CreateTempSubdirectory("coresleuth-scenario-");
        try
        {
            string path = Path.Combine(temp.FullName, "s.json");
            File.WriteAllText(path, """
                { "freebsd": "13.5", "threads": [{ "lwp": 100100, "role": "main" }],
                  "images": { "mysqld": { "omitFramePointers": true, "ehFrameHeader": false, "withoutFde": ["_start"] },
                              "libc.so.7": { "syscallStubFdes": false } } }
                """);
            var p = ScenarioProcess.Build(ScenarioLoader.Load(path));
            var mysqld = p.Images.Single(i => i.FileName == "mysqld");
            Assert.True(mysqld.Spec.OmitFramePointers);
            Assert.Null(mysqld.EhFrameHeaderAddress);
            Assert.False(mysqld.Spec.EmitsFde(mysqld.Function("_start").Spec));
            Assert.All(mysqld.Functions, f => Assert.False(f.Frame.UsesFramePointer, f.Name));
            var libc = p.Images.Single(i => i.FileName == "libc.so.7");
            Assert.False(libc.Spec.EmitsFde(libc.Function("__sys_openat").Spec));
            var libthr = p.Images.Single(i => i.FileName == "libthr.so.3");
            Assert.True(libthr.Spec.EmitsFde(libthr.Function("_umtx_op_err").Spec));

            File.WriteAllText(path, """{ "freebsd": "13.5", "threads": [{ "lwp": 100100, "role": "main" }], "images": { "libz.so": { } } }""");
            Assert.Contains("libz.so", Assert.Throws<InvalidDataException>(() => ScenarioProcess.Build(ScenarioLoader.Load(path))).Message);
            File.WriteAllText(path, """{ "freebsd": "13.5", "threads": [{ "lwp": 100100, "role": "main" }], "images": { "mysqld": { "withoutFde": ["nope"] } } }""");
            Assert.Contains("nope", Assert.Throws<InvalidDataException>(() => ScenarioProcess.Build(ScenarioLoader.Load(path))).Message);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }
}
