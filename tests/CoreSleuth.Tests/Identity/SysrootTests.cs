using CoreSleuth.Analysis.Modules;

namespace CoreSleuth.Tests.Identity;

public sealed class SysrootTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("coresleuth-sysroot-").FullName;
    private readonly string outside = Directory.CreateTempSubdirectory("coresleuth-outside-").FullName;

    public SysrootTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "lib"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib"));
        File.WriteAllText(Path.Combine(root, "lib", "libthr.so.3"), "inside");
        File.WriteAllText(Path.Combine(outside, "secret"), "outside");
        File.CreateSymbolicLink(Path.Combine(root, "usr", "lib", "libthr.so"), "/lib/libthr.so.3");
        File.CreateSymbolicLink(Path.Combine(root, "lib", "escape"), outside + "/secret");
        File.CreateSymbolicLink(Path.Combine(root, "lib", "loop"), "loop");
    }

    public void Dispose()
    {
        Directory.Delete(root, true);
        Directory.Delete(outside, true);
    }

    [Theory]
    [InlineData("/lib/libthr.so.3")]
    [InlineData("/usr/lib/libthr.so")]          // absolute symlink, followed inside the sysroot
    [InlineData("/usr/../lib/./libthr.so.3")]
    [InlineData("/../../../lib/libthr.so.3")]   // ".." stops at the sysroot's root
    public void Resolves_inside_the_sysroot(string corePath)
    {
        string? file = new Sysroot(root).Resolve(corePath, out var problem);
        Assert.Null(problem);
        Assert.Equal("inside", File.ReadAllText(file!));
        Assert.StartsWith(root, file);
    }

    [Theory]
    [InlineData("/lib/escape")]   // an absolute link to a file outside resolves to <sysroot>/<target>, which does not exist
    [InlineData("/lib/loop")]
    [InlineData("/lib/missing.so")]
    [InlineData("")]
    public void Never_resolves_outside_or_forever(string corePath)
    {
        string? file = new Sysroot(root).Resolve(corePath, out var problem);
        Assert.Null(file);
        Assert.False(string.IsNullOrEmpty(problem));
    }
}
