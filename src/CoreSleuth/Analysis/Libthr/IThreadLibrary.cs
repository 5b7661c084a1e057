using CoreSleuth.Analysis.Modules;

namespace CoreSleuth.Analysis.Libthr;

/// <summary>
/// One system's thread library: how a thread's <c>pthread_t</c> is joined with its LWP (FreeBSD
/// libthr, glibc's NPTL on Linux). <see cref="ThreadIdentity"/> holds the join; the library fills it.
/// </summary>
public interface IThreadLibrary
{
    /// <summary>Finds the pthread_t of the core's threads by the library's own strategies, adding them and what each did to <paramref name="identity"/>.</summary>
    void Identify(ThreadIdentity identity, ModuleMap modules, IdentityOptions options);

    /// <summary>What a pthread_t that no thread of the core has is: an exited thread's, a stale copy, or none.</summary>
    HandleResolution ResolveUnknown(ThreadIdentity identity, ulong handle);
}
