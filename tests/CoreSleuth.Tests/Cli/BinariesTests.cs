using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CoreSleuth.Cli;
using CoreSleuth.Input;
using CoreSleuth.Report;
using CoreSleuth.Tests.Images;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// Getting the server's binaries and using them: <c>coresleuth files</c> and its tar command,
/// <c>--sysroot</c> given as an archive (hostile ones included), and <c>--binary</c>/<c>--exe</c>
/// matched to the core's images by identity rather than by file name.
/// </summary>
public sealed class BinariesTests : IDisposable
{
    private const string Sample = "mysqld-ghost-fifo";
    private const int BlockedLwp = 100460;

    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-binaries-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static string Core => SampleSet.CorePath(Sample);
    private static string SampleSysroot => SampleSet.Sysroot(Sample)!;
    private static string Innodb => Path.Combine(SampleSet.Folder, Sample + ".innodb.txt");

    /// <summary>The libraries of the sample, as <c>info</c> lists its mappings (spec: every file-backed mapping at offset 0).</summary>
    private static readonly string[] SampleImages =
        ["/usr/local/libexec/mysqld", "/libexec/ld-elf.so.1", "/usr/lib/libc++.so.1", "/lib/libcxxrt.so.1", "/lib/libm.so.5", "/lib/libgcc_s.so.1", "/lib/libthr.so.3", "/lib/libc.so.7"];

    [Fact]
    public void Files_lists_every_image_as_missing_and_prints_one_tar_command_for_them()
    {
        var r = Coresleuth.Run("files", Core);
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        Assert.Contains("  executable  missing    /usr/local/libexec/mysqld", r.Stdout);
        Assert.Contains("  rtld        missing    /libexec/ld-elf.so.1", r.Stdout);
        Assert.Contains("8 of 8 binaries are missing", r.Stdout);
        Assert.Contains("\n  tar -czf mysqld-binaries.tgz -C / " + string.Join(' ', SampleImages.Select(p => p[1..])) + "\n", r.Stdout);
        Assert.Contains($"coresleuth analyze {Core} --sysroot mysqld-binaries.tgz", r.Stdout);
    }

    [Fact]
    public void Files_as_json_names_each_binary_with_its_source()
    {
        var r = Coresleuth.Run("files", Core, "--sysroot", SampleSysroot, "--format", "json");
        Assert.True(r.ExitCode == Program.ExitSuccess, r.ToString());
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal("coresleuth.files/1", root.GetProperty("schema").GetString());
        Assert.Equal(0, root.GetProperty("missing").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("packCommand").ValueKind);
        var files = root.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(SampleImages, files.Select(f => f.GetProperty("path").GetString()));
        Assert.All(files, f => Assert.Equal("sysroot", f.GetProperty("source").GetString()));
        Assert.Equal(Path.Combine(Path.GetFullPath(SampleSysroot), "lib", "libc.so.7"), files[^1].GetProperty("file").GetString());
        Assert.Equal(["executable", "rtld", "library"], files.Take(3).Select(f => f.GetProperty("role").GetString()));
    }

    [ToolFact("sh", "tar")]
    public void The_printed_tar_command_packs_what_the_analysis_needs()
    {
        var r = Coresleuth.Run("files", Core);
        string command = r.Lines.Single(l => l.TrimStart().StartsWith("tar ", StringComparison.Ordinal)).Trim();
        // On the server it packs from /; here the sample's sysroot stands for the server's /.
        string here = command.Replace(" -C / ", $" -C {FilesReport.ShellQuote(Path.GetFullPath(SampleSysroot))} ");
        var tar = Tools.Run("sh", "-c", $"cd {FilesReport.ShellQuote(folder)} && {here}");
        Assert.True(tar.ExitCode == 0, tar.Stderr);
        string archive = Path.Combine(folder, "mysqld-binaries.tgz");

        var fromFolder = Coresleuth.Run("analyze", Core, "--sysroot", SampleSysroot, "--innodb-status", Innodb);
        var fromArchive = Coresleuth.Run("analyze", Core, "--sysroot", archive, "--innodb-status", Innodb);
        Assert.True(fromArchive.ExitCode == 0, fromArchive.ToString());
        Assert.Equal(fromFolder.Stdout, fromArchive.Stdout);
        Assert.Contains("nothing to copy", Coresleuth.Run("files", Core, "--sysroot", archive).Stdout);
    }

    [Theory]
    [InlineData("tgz")]
    [InlineData("tar")]
    [InlineData("tar.zst")]
    public void An_archive_sysroot_gives_the_same_report_as_the_folder_and_leaves_nothing_behind(string kind)
    {
        string archive = Path.Combine(folder, "binaries." + kind);
        using (var file = File.Create(archive))
        using (Stream packed = kind switch
               {
                   "tgz" => new GZipStream(file, CompressionLevel.Fastest),
                   "tar.zst" => new ZstdSharp.CompressionStream(file),
                   _ => file,
               })
            TarFile.CreateFromDirectory(SampleSysroot, packed, includeBaseDirectory: false);
        string temporary = Directory.CreateDirectory(Path.Combine(folder, "tmp")).FullName;
        TemporaryFolders.RootForTests.Value = temporary;
        try
        {
            foreach (string command in (string[])["analyze", "bt"])
            {
                var fromFolder = Coresleuth.Run(command, Core, "--sysroot", SampleSysroot, "--innodb-status", Innodb);
                var fromArchive = Coresleuth.Run(command, Core, "--sysroot", archive, "--innodb-status", Innodb);
                Assert.True(fromArchive.ExitCode == 0, fromArchive.ToString());
                Assert.Equal(fromFolder.Stdout, fromArchive.Stdout);
            }
            Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
        }
        finally { TemporaryFolders.RootForTests.Value = null; }
    }

    [Fact]
    public void A_report_can_not_overwrite_the_sysroot_archive()
    {
        string archive = Path.Combine(folder, "b.tgz");
        File.WriteAllBytes(archive, Tar(("usr/x", "x"u8.ToArray())));
        var r = Coresleuth.Run("files", Core, "--sysroot", archive, "-o", archive);
        Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
        Assert.Contains("it is an input of this command (--sysroot)", r.Stderr);
    }

    public static TheoryData<string, byte[], string> HostileArchives() => new()
    {
        { "climbing", Tar(("../../etc/x", "x"u8.ToArray())), "climbs out of the archive" },
        { "absolute", Tar(("/etc/x", "x"u8.ToArray())), "is an absolute path" },
        { "huge", Tar(("lib/libc.so.7", null)), "declares 8589934591 bytes" },
        { "through a link", Tar(("lib", "->/etc"), ("lib/passwd", "x"u8.ToArray())), "is in the archive twice" },
        { "control character", Tar(("lib/\u001b[2Jx", "x"u8.ToArray())), "control character" },
        { "corrupt", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "corrupt or truncated" },
        { "not an archive", Encoding.ASCII.GetBytes(new string('x', 600)), "neither a folder nor a tar archive" },
    };

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public void A_hostile_or_corrupt_archive_is_refused_with_a_usage_error_and_nothing_is_written_outside(string what, byte[] archive, string error)
    {
        string path = Path.Combine(folder, what.Replace(' ', '-') + ".tar");
        File.WriteAllBytes(path, what == "corrupt" ? archive : Gzip(archive, what == "not an archive"));
        string temporary = Directory.CreateDirectory(Path.Combine(folder, "tmp-" + what.Replace(' ', '-'))).FullName;
        TemporaryFolders.RootForTests.Value = temporary;
        TemporaryFolders.FreeSpaceForTests.Value = 1L << 30;
        try
        {
            var r = Coresleuth.Run("files", Core, "--sysroot", path);
            Assert.True(r.ExitCode == Program.ExitUsage, r.ToString());
            Assert.Contains($"--sysroot {path}: ", r.Stderr);
            Assert.Contains(error, r.Stderr);
            Assert.Empty(r.Stdout);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
            Assert.False(File.Exists(Path.Combine(folder, "..", "..", "etc", "x")));
        }
        finally
        {
            TemporaryFolders.RootForTests.Value = null;
            TemporaryFolders.FreeSpaceForTests.Value = null;
        }
    }

    [Fact]
    public void A_symbolic_link_out_of_the_archive_is_followed_inside_it_only()
    {
        // lib/libc.so.7 -> /etc/passwd: the sysroot resolves /etc/passwd under its own root, where there is none.
        string path = Path.Combine(folder, "link.tgz");
        File.WriteAllBytes(path, Gzip(Tar(("lib/libc.so.7", "->/etc/passwd"), ("lib/libm.so.5", "->../../../../../../etc/passwd")), false));
        var r = Coresleuth.Run("files", Core, "--sysroot", path, "--format", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var json = JsonDocument.Parse(r.Stdout);
        var files = json.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("source").GetString());
        Assert.Equal("missing", files["/lib/libc.so.7"]);
        Assert.Equal("missing", files["/lib/libm.so.5"]);
    }

    /// <summary>The sample with its executable's path changed to /usr/local/libexec/a.out (same length, NUL-padded), as in a core of a program built as a.out.</summary>
    private string AOutCore()
    {
        byte[] core = File.ReadAllBytes(Core);
        byte[] from = Encoding.ASCII.GetBytes("/usr/local/libexec/mysqld\0"), to = Encoding.ASCII.GetBytes("/usr/local/libexec/a.out\0\0");
        int replaced = 0;
        for (int at = core.AsSpan().IndexOf(from); at >= 0; at = core.AsSpan().IndexOf(from))
        {
            to.CopyTo(core, at);
            replaced++;
        }
        Assert.True(replaced >= 2, "the sample's mappings name /usr/local/libexec/mysqld");
        string path = Path.Combine(folder, "a.out.core");
        File.WriteAllBytes(path, core);
        return path;
    }

    private string Renamed(string file, string name)
    {
        string path = Path.Combine(folder, name);
        File.Copy(file, path);
        return path;
    }

    private static string Mysqld(string sample = Sample) => Path.Combine(SampleSet.Sysroot(sample)!, "usr", "local", "libexec", "mysqld");

    [Fact]
    public void The_executable_under_another_name_is_used_for_a_core_that_calls_it_a_out()
    {
        string core = AOutCore();
        string exe = Renamed(Mysqld(), "zstring-a.out");
        var without = Coresleuth.Run("bt", core, "--lwp", $"{BlockedLwp}");
        Assert.Contains("a.out+0x12c7", without.Stdout);
        Assert.Contains("run `coresleuth files CORE` to see which files to copy from the server", without.Stdout);
        foreach (string option in (string[])["--binary", "--exe"])
        {
            var r = Coresleuth.Run("bt", core, "--lwp", $"{BlockedLwp}", option, exe);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("my_open(char const*, int, unsigned long)+39 in a.out", r.Stdout);
            Assert.Contains("mysql_parse(THD*, char*, unsigned int, Parser_state*)+48 in a.out", r.Stdout);
            Assert.DoesNotContain("not used", r.Stdout);
        }
        var files = Coresleuth.Run("files", core, "--exe", exe);
        Assert.Contains($"  executable  exe        /usr/local/libexec/a.out  {exe}", files.Stdout);
    }

    [Fact]
    public void A_binary_that_is_no_image_of_the_core_is_a_warning()
    {
        // The mysqld of another sample, renamed: another build, and the name of no image.
        string other = Renamed(Mysqld("mysqld-fifo-openat-14"), "unrelated");
        var r = Coresleuth.Run("bt", Core, "--lwp", $"{BlockedLwp}", "--binary", other);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"--binary {other} is none of the 8 images the core maps (by build-id, headers or load layout); not used", r.Stdout);
    }

    [Fact]
    public void A_binary_of_the_same_name_but_another_build_is_not_used_and_said_so()
    {
        string other = Mysqld("mysqld-fifo-openat-14");
        var r = Coresleuth.Run("bt", Core, "--lwp", $"{BlockedLwp}", "--binary", other);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"--binary {other} has the name of /usr/local/libexec/mysqld but is not the image that ran: its dynamic section differs", r.Stdout);
        Assert.Contains("mysqld+0x12c7", r.Stdout);
        Assert.DoesNotContain("my_open", r.Stdout);

        var exe = Coresleuth.Run("bt", Core, "--lwp", $"{BlockedLwp}", "--exe", Path.Combine(SampleSysroot, "lib", "libc.so.7"));
        Assert.Contains("is not the executable that ran (/usr/local/libexec/mysqld)", exe.Stdout);
    }

    [Fact]
    public void A_renamed_library_is_matched_by_its_dynamic_section_among_libraries_of_the_same_shape()
    {
        string libm = Renamed(Path.Combine(SampleSysroot, "lib", "libm.so.5"), "renamed.so");
        using var json = JsonDocument.Parse(Coresleuth.Run("files", Core, "--binary", libm, "--format", "json").Stdout);
        var used = json.RootElement.GetProperty("files").EnumerateArray().Where(f => f.GetProperty("source").GetString() == "binary").ToList();
        Assert.Equal("/lib/libm.so.5", Assert.Single(used).GetProperty("path").GetString());
    }

    [Fact]
    public void With_every_binary_there_is_no_warning_about_missing_code()
    {
        var r = Coresleuth.Run("analyze", Core, "--sysroot", SampleSysroot);
        Assert.DoesNotContain("coresleuth files", r.Stdout);
    }

    [Theory]
    [InlineData("usr/local/libexec/mysqld", "usr/local/libexec/mysqld")]
    [InlineData("lib/it's here.so", "'lib/it'\\''s here.so'")]
    [InlineData("lib/$(reboot).so", "'lib/$(reboot).so'")]
    [InlineData("lib/`id`;x.so", "'lib/`id`;x.so'")]
    public void Paths_are_quoted_for_the_shell(string path, string quoted) => Assert.Equal(quoted, FilesReport.ShellQuote(path));

    [ToolTheory("sh")]
    [InlineData("lib/it's here.so")]
    [InlineData("lib/$(touch pwned).so")]
    [InlineData("lib/\"a\"\\b`c`*.so")]
    public void A_quoted_path_reaches_the_command_as_it_is(string path)
    {
        var r = Tools.Run("sh", "-c", $"cd {FilesReport.ShellQuote(folder)} && printf '%s' {FilesReport.ShellQuote(path)}");
        Assert.Equal(path, r.Stdout);
        Assert.False(File.Exists(Path.Combine(folder, "pwned")));
    }

    [Theory]
    [InlineData("/lib/libc\u001b[2J.so.7", "control characters")]
    [InlineData("/lib/libc\n.so.7", "control characters")]
    [InlineData("lib/libc.so.7", "not absolute")]
    [InlineData("/lib/../../etc/passwd", "climbs")]
    public void A_path_that_cannot_go_into_the_command_is_flagged(string path, string why) =>
        Assert.Contains(why, FilesReport.ShellPath(path));

    private static byte[] Gzip(byte[] data, bool plain)
    {
        if (plain) return data;
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>
    /// A ustar archive written byte by byte, so that it may hold what no tar writes: a content of null
    /// declares 8 GiB − 1 with no data; "->TARGET" makes a symbolic link.
    /// </summary>
    private static byte[] Tar(params (string Name, object? Content)[] entries)
    {
        using var output = new MemoryStream();
        foreach (var (name, content) in entries)
        {
            var header = new byte[512];
            void Put(int at, int length, string text) => Encoding.UTF8.GetBytes(text).AsSpan(0, Math.Min(length, Encoding.UTF8.GetByteCount(text))).CopyTo(header.AsSpan(at));
            string? link = content is string s && s.StartsWith("->", StringComparison.Ordinal) ? s[2..] : null;
            byte[] data = content as byte[] ?? [];
            long size = content is null ? 0x1_FFFF_FFFF : data.Length;
            Put(0, 100, name);
            Put(100, 8, "0000644");
            Put(108, 8, "0000000");
            Put(116, 8, "0000000");
            Put(124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
            Put(136, 12, "00000000000");
            header[156] = (byte)(link is null ? '0' : '2');
            if (link is not null) Put(157, 100, link);
            Put(257, 6, "ustar");
            Put(263, 2, "00");
            "        "u8.CopyTo(header.AsSpan(148));
            int sum = header.Sum(b => b);
            Put(148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
            output.Write(header);
            output.Write(data);
            output.Write(new byte[(512 - data.Length % 512) % 512]);
        }
        output.Write(new byte[1024]);
        return output.ToArray();
    }
}
