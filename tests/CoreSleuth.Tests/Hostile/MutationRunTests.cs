using System.Globalization;
using Xunit.Abstractions;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// The bounded mutation run of every <c>dotnet test</c>: at least 10,000 structure-aware damaged
/// cores (see <see cref="CoreMutator"/>) through the whole analyze pipeline, each checked by
/// <see cref="PipelineCheck"/>. Deterministic: the seed is fixed unless CORESLEUTH_FUZZ_SEED
/// sets another (CORESLEUTH_FUZZ_ITERATIONS sets the count). An input that breaks an invariant
/// is written under the temp folder (coresleuth-mutation-crashes) and named in the failure.
/// </summary>
[Collection(MutationRunCollection.Name)]
public sealed class MutationRunTests(ITestOutputHelper output)
{
    public const int DefaultSeed = 20_251_129;

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;

    [Fact]
    public void Ten_thousand_damaged_cores_keep_every_invariant()
    {
        int seed = Env("CORESLEUTH_FUZZ_SEED", DefaultSeed);
        int iterations = Env("CORESLEUTH_FUZZ_ITERATIONS", 10_000);
        string crashes = Path.Combine(Path.GetTempPath(), "coresleuth-mutation-crashes", seed.ToString(CultureInfo.InvariantCulture));
        var seeds = SeedCores.All();
        output.WriteLine($"seed {seed} (CORESLEUTH_FUZZ_SEED), {iterations} inputs (CORESLEUTH_FUZZ_ITERATIONS), seeds: {string.Join(", ", seeds)}");

        var result = MutationCampaign.Run(seeds, new CampaignOptions { Seed = seed, Iterations = iterations, CrashDirectory = crashes }, output.WriteLine);
        output.WriteLine(result.Summary());

        Assert.True(result.Findings.Count == 0,
            $"{result.Findings.Count} inputs broke invariants (seed {seed}; files in {crashes}):\n" +
            string.Join("\n", result.Findings.Select(f => $"- [{f.Invariant}] {f.Seed}: {f.Message}\n  mutations: {f.Mutations}\n  saved as {f.SavedAs}")));
        Assert.Equal(iterations, result.Executions);
        // The damage must leave most cores analysable and refuse some: a run of only refusals tests nothing.
        Assert.True(result.Analysed > iterations / 2, $"only {result.Analysed} of {iterations} damaged cores were analysed");
        Assert.True(result.Refused > 0, "no damaged core was refused");
        // Every seed, the big image included, was picked.
        Assert.All(seeds, s => Assert.True(result.PerSeed.GetValueOrDefault(s.Name) > 0, $"{s.Name} was never picked"));
    }
}

/// <summary>The mutation run measures time per input: it runs alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MutationRunCollection
{
    public const string Name = "mutation run";
}
