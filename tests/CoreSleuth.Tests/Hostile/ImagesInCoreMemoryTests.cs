using System.Text.Json;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// gcore dumps every mapping, text included (spec §1.3): the ELF images are then in the core
/// and their dynamic symbols and .eh_frame are read from there without a sysroot. Found while
/// mapping the fuzzing seeds: the ELF magic check never matched, so no image was ever read from
/// core memory and all of that parsing was out of the fuzzers' reach.
/// </summary>
public sealed class ImagesInCoreMemoryTests
{
    [Fact]
    public void Symbols_and_cfi_come_from_images_dumped_in_the_core()
    {
        var image = MysqldProcessTemplate.Build(new MysqldScenarioOptions());
        using var core = new TempCore(CoreWriter.WriteToArray(ImageCores.ToCoreSpec(image, fifoPath: "/tmp/ghost.fifo", dumpAllMemory: true)));

        var run = HostileCores.Cli("analyze", core.Path, "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.Stdout);
        var blocked = doc.RootElement.GetProperty("threads").EnumerateArray().Single(t => t.GetProperty("wait").GetString() == "fifoor");
        var frame = blocked.GetProperty("frames")[0];

        // The oracle: the image builder knows which function it assembled at that address.
        ulong rip = image.Threads.Single(t => t.Lwp == blocked.GetProperty("lwp").GetInt32()).Registers.Rip;
        var (module, function) = image.Symbolize(rip) ?? throw new InvalidOperationException("rip is in no function of the image");
        Assert.Equal(module.FileName, frame.GetProperty("module").GetString());
        // The function may have aliases (__sys_openat, _openat): the symbol named must start where the function does.
        Assert.False(string.IsNullOrEmpty(frame.GetProperty("symbol").GetString()));
        Assert.Equal($"0x{rip - module.RuntimeAddress(function.Address):x}", frame.GetProperty("offset").GetString());
        // And CFI from the core's .eh_frame unwinds at least one frame.
        Assert.Contains(blocked.GetProperty("frames").EnumerateArray(), f => f.GetProperty("trust").GetString() == "cfi");
    }
}
