namespace CoreSleuth.FreeBsd;

/// <summary>The program that wrote a core (spec, introduction).</summary>
public enum CoreProducer
{
    Unknown,
    Gcore,
    Kernel,
    Gdb,
}
