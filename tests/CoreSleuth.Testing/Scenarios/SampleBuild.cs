using System.Text;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>One file a sample consists of, relative to the samples folder.</summary>
public sealed record SampleFile(string RelativePath, byte[] Bytes);

/// <summary>
/// Everything generated from one scenario file, in memory: the process image, the core's spec
/// and bytes, the InnoDB status text, the processlist and, for <c>"text": "sysroot"</c>, the ELF files of the
/// sysroot. <see cref="Files"/> is what samples/ holds for it; the same scenario always gives the
/// same bytes.
/// </summary>
public sealed class SampleBuild
{
    private SampleBuild(string name, string scenarioPath, Scenario scenario, ScenarioProcess process, CoreSpec core, byte[] coreBytes, string? innodb, IReadOnlyList<SampleFile> files)
    {
        Name = name;
        ScenarioPath = scenarioPath;
        Scenario = scenario;
        Process = process;
        Core = core;
        CoreBytes = coreBytes;
        InnodbStatus = innodb;
        Files = files;
    }

    /// <summary>The sample's name: the scenario file name without .json.</summary>
    public string Name { get; }
    public string ScenarioPath { get; }
    public Scenario Scenario { get; }
    public ScenarioProcess Process { get; }
    public CoreSpec Core { get; }
    public byte[] CoreBytes { get; }
    public string? InnodbStatus { get; }
    public IReadOnlyList<SampleFile> Files { get; }

    public string CoreFileName => Name + ".core";
    public string? InnodbFileName => InnodbStatus is null ? null : Name + ".innodb.txt";
    public string? SysrootFolder => Scenario.Text == "sysroot" ? "sysroot-" + Name : null;

    /// <summary>The scenario files of the samples folder: samples/scenarios/*.json (subfolders hold shared bases).</summary>
    public static IReadOnlyList<string> ScenarioFiles(string samplesFolder) =>
        [.. Directory.GetFiles(Path.Combine(samplesFolder, "scenarios"), "*.json").Order(StringComparer.Ordinal)];

    public static SampleBuild FromFile(string scenarioPath)
    {
        var scenario = ScenarioLoader.Load(scenarioPath);
        string name = Path.GetFileNameWithoutExtension(scenarioPath);
        var process = ScenarioProcess.Build(scenario);
        var core = ScenarioCore.Build(process);
        using var ms = new MemoryStream();
        CoreWriter.Write(core, ms);
        var bytes = ms.ToArray();

        var files = new List<SampleFile> { new(name + ".core", bytes) };
        string? innodb = null;
        if (scenario.InnodbStatus is not null)
        {
            innodb = InnodbStatusText.Build(process);
            files.Add(new SampleFile(name + ".innodb.txt", Encoding.UTF8.GetBytes(innodb)));
        }
        if (scenario.Processlist is not null)
            files.Add(new SampleFile(name + ".processlist.txt", Encoding.UTF8.GetBytes(ProcesslistText.Build(process))));
        if (scenario.Text == "sysroot")
        {
            // The binaries at the paths the core's VMMAP names, as --sysroot expects them.
            foreach (var module in process.Image.Modules)
                files.Add(new SampleFile($"sysroot-{name}{module.Path}", module.Image.FileBytes));
        }
        return new SampleBuild(name, scenarioPath, scenario, process, core, bytes, innodb, files);
    }
}
