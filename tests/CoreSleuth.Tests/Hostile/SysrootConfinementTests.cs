using System.Text.Json;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// End to end: a core names the files of its mappings, and with <c>--sysroot</c> those names
/// are looked up in the sysroot — never outside it, whether the core climbs out with "..", or
/// the sysroot holds an absolute symbolic link. The libc of the mysqld image is placed where
/// an unconfined lookup would find it; its symbols naming the innermost frame of the blocked
/// thread show whether it was read. A control run with libc inside the sysroot shows that the
/// same test sees the symbols when the file is legitimately there.
/// </summary>
public sealed class SysrootConfinementTests : IDisposable
{
    private static readonly Lazy<ProcessImage> Image = new(() => MysqldProcessTemplate.Build(new MysqldScenarioOptions()));

    private readonly string top = Directory.CreateTempSubdirectory("coresleuth-confine-").FullName;
    private readonly string root, outsideLibc;

    public SysrootConfinementTests()
    {
        root = Path.Combine(top, "a", "root");
        Directory.CreateDirectory(Path.Combine(root, "lib"));
        outsideLibc = Path.Combine(top, "outside", "lib", "libc.so.7");
        Directory.CreateDirectory(Path.GetDirectoryName(outsideLibc)!);
        File.WriteAllBytes(outsideLibc, Image.Value.Module("libc.so.7").Image.FileBytes);
        // Every other module is in the sysroot, so only libc's lookup is in question.
        foreach (var m in Image.Value.Modules.Where(m => m.FileName != "libc.so.7"))
        {
            string path = Path.Combine(root, m.Path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, m.Image.FileBytes);
        }
    }

    public void Dispose() => Directory.Delete(top, recursive: true);

    /// <summary>The mysqld core with libc's mapping path replaced.</summary>
    private string Core(string libcPath)
    {
        var spec = ImageCores.ToCoreSpec(Image.Value, fifoPath: "/tmp/ghost.fifo");
        spec = spec with { Mappings = [.. spec.Mappings.Select(m => m.Path == "/lib/libc.so.7" ? m with { Path = libcPath } : m)] };
        string path = Path.Combine(top, $"mysqld-{spec.Mappings.Count}-{Math.Abs(libcPath.GetHashCode())}.core");
        CoreWriter.WriteFile(spec, path);
        return path;
    }

    /// <summary>(module, symbol) of the innermost frame of the thread blocked in openat, which is in libc (spec §10).</summary>
    private (string? Module, string? Symbol, string Json) InnermostFrameOfBlockedThread(string core)
    {
        var run = HostileCores.Cli("analyze", core, "--sysroot", root, "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        using var doc = JsonDocument.Parse(run.Stdout);
        var blocked = doc.RootElement.GetProperty("threads").EnumerateArray().Single(t => t.GetProperty("wait").GetString() == "fifoor");
        var frame = blocked.GetProperty("frames")[0];
        return (frame.GetProperty("module").GetString(), frame.GetProperty("symbol").GetString(), run.Stdout);
    }

    [Fact]
    public void Control_libc_inside_the_sysroot_is_read()
    {
        File.Copy(outsideLibc, Path.Combine(root, "lib", "libc.so.7"));
        var (module, symbol, _) = InnermostFrameOfBlockedThread(Core("/lib/libc.so.7"));
        Assert.Equal("libc.so.7", module);
        Assert.False(string.IsNullOrEmpty(symbol), "libc inside the sysroot should name the frame");
    }

    [Theory]
    [InlineData("/../../outside/lib/libc.so.7")]          // <root>/../../outside is where libc really is
    [InlineData("/lib/../../../outside/lib/libc.so.7")]
    [InlineData("../../outside/lib/libc.so.7")]           // relative
    public void Dot_dot_in_a_core_path_stops_at_the_sysroot(string corePath)
    {
        var (module, symbol, json) = InnermostFrameOfBlockedThread(Core(corePath));
        Assert.Equal("libc.so.7", module);
        Assert.Null(symbol);
        Assert.DoesNotContain($"\"{outsideLibc}\"", json);
    }

    [Fact]
    public void An_absolute_symlink_in_the_sysroot_is_followed_inside_it()
    {
        File.CreateSymbolicLink(Path.Combine(root, "lib", "libc.so.7"), outsideLibc);
        var (module, symbol, _) = InnermostFrameOfBlockedThread(Core("/lib/libc.so.7"));
        Assert.Equal("libc.so.7", module);
        Assert.Null(symbol);
    }

    [Fact]
    public void A_relative_symlink_climbing_out_of_the_sysroot_stops_at_its_root()
    {
        // lib/escape -> ../../../outside: from <root>/lib that leaves the sysroot unless ".." stops at its root.
        Directory.CreateSymbolicLink(Path.Combine(root, "lib", "escape"), "../../../outside");
        var (module, symbol, _) = InnermostFrameOfBlockedThread(Core("/lib/escape/lib/libc.so.7"));
        Assert.Equal("libc.so.7", module);
        Assert.Null(symbol);
    }

    [Fact]
    public void Etc_passwd_through_dot_dot_is_not_read()
    {
        // The classic: the mapping of libc claims to be /../../etc/passwd.
        var (module, symbol, json) = InnermostFrameOfBlockedThread(Core("/../../etc/passwd"));
        Assert.Equal("passwd", module);
        Assert.Null(symbol);
        Assert.DoesNotContain("root:x:0:0", json);
        Assert.DoesNotContain("\"/etc/passwd\"", json);
    }
}
