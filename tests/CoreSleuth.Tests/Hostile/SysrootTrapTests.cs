using System.Diagnostics;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Paths a damaged core can name, resolved in a sysroot that holds more than regular files:
/// a file where a folder is expected, names too long for the file system, and special files
/// — a FIFO at a library's path must not be opened, since opening a FIFO for reading waits for
/// a writer (the very hang this tool diagnoses), and with <c>--sysroot /</c> a core can name any
/// FIFO of the machine that analyses it.
/// </summary>
public sealed class SysrootTrapTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("coresleuth-traps-").FullName;

    public SysrootTrapTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "lib"));
        File.WriteAllText(Path.Combine(root, "lib", "file"), "a regular file, not a folder");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("/lib/file/libc.so.7")]      // ENOTDIR
    [InlineData("/lib/file/../file")]
    [InlineData("/lib/\u0001\u001b[31m.so")]
    public void Odd_paths_are_unresolved_with_a_reason(string corePath)
    {
        string? file = new Sysroot(root).Resolve(corePath, out string? problem);
        if (file is not null) Assert.StartsWith(root, file);
        else Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void A_component_longer_than_the_file_system_allows_is_unresolved()
    {
        string? file = new Sysroot(root).Resolve("/lib/" + new string('a', 300) + "/libc.so.7", out string? problem);
        Assert.Null(file);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void A_path_of_4096_components_is_unresolved()
    {
        string? file = new Sysroot(root).Resolve(string.Concat(Enumerable.Repeat("/lib", 4096)), out string? problem);
        Assert.Null(file);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public async Task A_fifo_at_a_library_path_is_not_opened()
    {
        var image = MysqldProcessTemplate.Build(new MysqldScenarioOptions());
        foreach (var m in image.Modules.Where(m => m.FileName != "libc.so.7"))
        {
            string path = Path.Combine(root, m.Path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, m.Image.FileBytes);
        }
        string fifo = Path.Combine(root, "lib", "libc.so.7");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo), "mkfifo failed");
        using var core = new TempCore(CoreWriter.WriteToArray(ImageCores.ToCoreSpec(image, fifoPath: "/tmp/ghost.fifo")));

        var analysis = Task.Run(() => HostileCores.Cli("analyze", core.Path, "--sysroot", root, "--format", "json"));
        bool finished = await Task.WhenAny(analysis, Task.Delay(TimeSpan.FromSeconds(30))) == analysis;
        if (!finished)
        {
            // Release the blocked reader so that the test run can end.
            await using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            await Task.WhenAny(analysis, Task.Delay(TimeSpan.FromSeconds(30)));
        }
        Assert.True(finished, "analyze blocked opening a FIFO of the sysroot");
        var run = await analysis;
        Assert.True(run.ExitCode == 0, run.ToString());
    }
}
