namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// The command line over damaged cores: every analyze run ends with exit code 0 (a report,
/// with warnings) or 3 (the core is unreadable or not a FreeBSD amd64 core, one sanitised line
/// on stderr) — never 4, the code of an internal error.
/// </summary>
public sealed class CliExitCodeTests
{
    [Fact]
    public void Damaged_cores_exit_with_0_or_3_and_a_clean_message()
    {
        var seed = SeedCores.Synthetic().First(s => s.Name == "kernel-14").Bytes;
        var map = CoreFields.Parse(seed);
        var random = new Random(MutationRunTests.DefaultSeed);
        using var dir = new TempCore([], "unused");
        string path = Path.Combine(dir.Directory, "damaged.core");
        int refused = 0;
        for (int i = 0; i < 300; i++)
        {
            var mutator = new CoreMutator(seed, map, random);
            int length = mutator.Mutate();
            File.WriteAllBytes(path, seed[..length]);
            mutator.Undo();
            var run = HostileCores.Cli("analyze", path, "--format", (i % 3) switch { 0 => "text", 1 => "markdown", _ => "json" });
            Assert.True(run.ExitCode is 0 or 3, $"{mutator.Describe()}\n{run}");
            if (run.ExitCode == 3)
            {
                refused++;
                Assert.Equal("", run.Stdout);
                Assert.Single(run.Stderr.TrimEnd('\n').Split('\n'));
                Assert.StartsWith("coresleuth: ", run.Stderr);
            }
            PipelineCheck.CheckTerminalSafe("stderr", run.Stderr);
        }
        Assert.InRange(refused, 1, 299);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x7f, 0x45, 0x4c })]                      // cut inside the magic
    [InlineData(new byte[] { 0x1f, 0x8b, 0x08, 0x00 })]                // gzip: compressed cores are refused, not inflated
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd })]                // zstd
    public void Files_that_are_no_core_exit_with_3(byte[] bytes)
    {
        using var file = new TempCore(bytes);
        var run = HostileCores.Cli("analyze", file.Path);
        Assert.True(run.ExitCode == 3, run.ToString());
    }
}
