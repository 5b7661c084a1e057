using System.Diagnostics;
using System.IO.Compression;
using CoreSleuth.Cli;
using CoreSleuth.Input;
using CoreSleuth.Tests.Cli;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Input;

/// <summary>
/// Cores compressed with gzip, zstd and xz (as tickets carry them, and as FreeBSD's
/// kern.compress_user_cores writes .gz and .zst) read as the plain core does; a broken stream is
/// one error line with exit 3 and leaves nothing in the temporary folder.
/// </summary>
public sealed class CompressedCoreTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-compressed-test-").FullName;
    private readonly string temporary;
    private readonly string plain;

    public CompressedCoreTests()
    {
        temporary = Directory.CreateDirectory(Path.Combine(folder, "tmp")).FullName;
        TemporaryFolders.RootForTests.Value = temporary;
        plain = Path.Combine(folder, "mysqld-ghost-fifo.core");
        File.Copy(Path.Combine(SampleSet.Folder, "mysqld-ghost-fifo.core"), plain);
    }

    public void Dispose()
    {
        TemporaryFolders.RootForTests.Value = null;
        TemporaryFolders.FreeSpaceForTests.Value = null;
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>The sample compressed as <paramref name="kind"/>: gzip and zstd by the libraries, xz by /usr/bin/xz (null when it is absent).</summary>
    private string? Compress(string kind)
    {
        string path = $"{plain}.{kind}";
        if (kind == "xz")
        {
            if (!File.Exists("/usr/bin/xz")) return null;
            using var xz = Process.Start(new ProcessStartInfo("/usr/bin/xz", ["-k", "-f", plain]) { UseShellExecute = false })!;
            xz.WaitForExit();
            Assert.Equal(0, xz.ExitCode);
            return path;
        }
        using var input = File.OpenRead(plain);
        using var output = File.Create(path);
        using Stream encoder = kind == "gz" ? new GZipStream(output, CompressionLevel.Fastest) : new ZstdSharp.CompressionStream(output, level: 3);
        input.CopyTo(encoder);
        return path;
    }

    [Theory]
    [InlineData("gz")]
    [InlineData("zst")]
    [InlineData("xz")]
    public void Every_command_reports_a_compressed_core_as_the_plain_one_naming_the_file_given(string kind)
    {
        if (Compress(kind) is not { } compressed) return; // no xz tool here
        Assert.NotEqual(CoreCompression.None, CompressedCore.Detect(compressed));
        string[][] commands =
        [
            ["analyze", "--format", "json"], ["analyze"], ["analyze", "--format", "markdown"], ["info", "--format", "json"], ["threads"], ["bt"],
            ["regs", "--all"], ["mem", "--string", "0x7ffffd1a3c80"], ["handle", "0x829e76000"],
        ];
        foreach (var command in commands)
        {
            var expected = Coresleuth.Run([command[0], plain, .. command[1..]]);
            var actual = Coresleuth.Run([command[0], compressed, .. command[1..]]);
            Assert.True(expected.ExitCode == Program.ExitSuccess, expected.ToString());
            Assert.True(actual.ExitCode == Program.ExitSuccess, actual.ToString());
            // The report names the file given (in Markdown too, as it is: a code span): that is the only difference.
            if (command[0] == "analyze") Assert.True(actual.Stdout.Contains(compressed), actual.ToString());
            Assert.Equal(expected.Stdout, actual.Stdout.Replace(compressed, plain));
            Assert.Empty(actual.Stderr);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
    }

    [Theory]
    [InlineData("gz")]
    [InlineData("zst")]
    [InlineData("xz")]
    public void A_truncated_stream_exits_3_with_one_line_and_leaves_no_temporary_file(string kind)
    {
        if (Compress(kind) is not { } compressed) return;
        byte[] bytes = File.ReadAllBytes(compressed);
        foreach (int length in new[] { bytes.Length / 2, bytes.Length - 3 })
        {
            string truncated = Path.Combine(folder, $"cut-{length}.core.{kind}");
            File.WriteAllBytes(truncated, bytes[..length]);
            foreach (string command in new[] { "analyze", "info" })
            {
                var r = Coresleuth.Run(command, truncated);
                Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
                Assert.Empty(r.Stdout);
                var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(lines.Length == 1, r.ToString());
                Assert.StartsWith($"coresleuth: {truncated}: ", lines[0]);
                Assert.Contains("truncated", lines[0]);
                Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
            }
        }
    }

    [Fact]
    public void A_file_of_unknown_magic_is_read_as_before()
    {
        string junk = Path.Combine(folder, "junk.core.gz");
        File.WriteAllText(junk, "#!/bin/sh\necho this is not a core\n");
        Assert.Equal(CoreCompression.None, CompressedCore.Detect(junk));
        var r = Coresleuth.Run("info", junk);
        Assert.Equal(Program.ExitUnreadableCore, r.ExitCode);
        Assert.StartsWith($"coresleuth: {junk}: not an ELF file", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
        // The plain core under a compressed name is still the plain core.
        string named = Path.Combine(folder, "plain.core.zst");
        File.Copy(plain, named);
        Assert.Equal(Program.ExitSuccess, Coresleuth.Run("info", named).ExitCode);
    }

    [Theory]
    [InlineData("zst", "than the 1 MiB free")] // the library's streaming encoder writes no frame content size
    [InlineData("gz", "announces 1732608 bytes")]
    [InlineData("xz", "larger than")]
    public void A_core_larger_than_the_free_space_is_refused_and_leaves_no_temporary_file(string kind, string why)
    {
        if (Compress(kind) is not { } compressed) return;
        TemporaryFolders.FreeSpaceForTests.Value = 1 << 20;
        var r = Coresleuth.Run("analyze", compressed);
        Assert.True(r.ExitCode == Program.ExitUnreadableCore, r.ToString());
        Assert.StartsWith($"coresleuth: {compressed}: ", r.Stderr);
        Assert.Contains(why, r.Stderr);
        Assert.Contains("TMPDIR", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
    }

    [Fact]
    public void Check_takes_a_compressed_core_named_on_the_command_line()
    {
        string compressed = Compress("zst")!;
        var r = Coresleuth.Run("check", compressed);
        Assert.DoesNotContain("ERROR", r.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
    }

    [Fact]
    public void Check_of_a_folder_finds_compressed_cores_and_reads_the_expectation_of_the_plain_name()
    {
        string check = Directory.CreateDirectory(Path.Combine(folder, "check")).FullName;
        File.Move(Compress("gz")!, Path.Combine(check, "a.core.gz"));
        File.Move(Compress("zst")!, Path.Combine(check, "b.core.zst"));
        File.Copy(plain, Path.Combine(check, "c.core.bak")); // not a core's name: not checked
        // LWP 100460 waits on "fifoor" (samples/mysqld-ghost-fifo.expect.json): a's expectation holds, b's does not.
        File.WriteAllText(Path.Combine(check, "a.expect.json"), """{ "schema": "coresleuth.expect/1", "threads": [ { "lwp": 100460, "wait": "fifoor" } ] }""");
        File.WriteAllText(Path.Combine(check, "b.expect.json"), """{ "schema": "coresleuth.expect/1", "threads": [ { "lwp": 100460, "wait": "fifoow" } ] }""");
        var expected = new List<string> { $"PASS {check}/a.core.gz", $"FAIL {check}/b.core.zst: threads[lwp=100460].wait: expected \"fifoow\", got \"fifoor\"" };
        if (Compress("xz") is { } xz)
        {
            File.Move(xz, Path.Combine(check, "d.core.xz"));
            expected.Add($"NO-EXPECTATIONS {check}/d.core.xz (1 finding)");
        }
        var r = Coresleuth.Run("check", check);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(expected, r.Lines[..^1]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
    }
}
