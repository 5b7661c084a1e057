namespace CoreSleuth.Diagnostics;

/// <summary>
/// How far a step that can take seconds has come: <see cref="Done"/> of <see cref="Total"/> units
/// (bytes) of <see cref="Step"/>. Reported through an <see cref="IProgress{T}"/> the caller gives
/// (the CLI draws it on a terminal); for one step, <see cref="Done"/> never decreases and its last
/// report has <see cref="Done"/> = <see cref="Total"/>. Reports may come from another thread.
/// </summary>
/// <param name="Step">What is being done, in a few words: "decompressing gzip", "pthread signature scan", "statement search".</param>
public readonly record struct WorkProgress(string Step, long Done, long Total)
{
    /// <summary>Done as a fraction of the total, 0 to 1 (1 for an empty step).</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Done / Total, 0, 1);
}
