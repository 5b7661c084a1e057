namespace CoreSleuth.Analysis.Modules;

/// <summary>One Elf64_Sym with its name and, when the image has symbol versions, its version name.</summary>
public sealed record ElfSymbol(string Name, ulong Value, ulong Size, byte Type, byte Binding, ushort SectionIndex, string? Version, bool VersionHidden)
{
    public const byte STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4, STT_TLS = 6, STT_GNU_IFUNC = 10;
    public const byte STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;

    public bool IsDefined => SectionIndex != 0;
    public bool IsFunction => Type is STT_FUNC or STT_GNU_IFUNC;
    public bool IsObject => Type == STT_OBJECT;

    /// <summary>As readelf shows it: name@@VERSION (default) or name@VERSION (hidden).</summary>
    public string DisplayName => Version is null ? Name : $"{Name}{(VersionHidden ? "@" : "@@")}{Version}";
}
