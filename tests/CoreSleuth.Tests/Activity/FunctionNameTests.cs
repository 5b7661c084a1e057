using CoreSleuth.Analysis.Activity;
using CoreSleuth.Analysis.Symbols;

namespace CoreSleuth.Tests.Activity;

public sealed class FunctionNameTests
{
    public static readonly TheoryData<string, string> Keys = new()
    {
        // As the symbolizer prints frames (src/CoreSleuth/Report: "do_command(THD*)", "mysql_load(THD*, sql_exchange*, …)").
        { "my_open(char const*, int, unsigned long)", "my_open" },
        { "do_command(THD*)", "do_command" },
        { "mysql_load(THD*, sql_exchange*, TABLE_LIST*, List<Item>&, List<Item>&, List<Item>&, enum_duplicates, bool, bool)", "mysql_load" },
        { "vio_io_wait", "vio_io_wait" },
        { "MDL_wait::timed_wait(MDL_context_owner*, timespec*, bool, PSI_stage_info_v1 const*)", "MDL_wait::timed_wait" },
        { "Foo<int>::bar(int) const", "Foo::bar" },
        { "PolicyMutex<TTASEventMutex<GenericPolicy> >::enter(unsigned int, unsigned int, char const*, unsigned int)", "PolicyMutex::enter" },
        { "(anonymous namespace)::x(int)", "x" },
        { "ns::(anonymous namespace)::worker()", "ns::worker" },
        { "void std::swap<int>(int&, int&)", "std::swap" },
        { "int max<int>(int, int)", "max" },
        { "non-virtual thunk to Derived::run()", "Derived::run" },
        { "Foo::operator()(int) const", "Foo::operator()" },
        { "bool Foo::operator< <int>(int const&)", "Foo::operator<" },
        { "operator new(unsigned long)", "operator new" },
        { "Foo::operator bool() const", "Foo::operator bool" },
        { "srv_purge_coordinator_thread.cold", "srv_purge_coordinator_thread" },
        { "buf_flush_page_cleaner_thread.isra.0", "buf_flush_page_cleaner_thread" },
        { "row_search_mvcc(unsigned char*, page_cur_mode_t, row_prebuilt_t*, unsigned long, unsigned long) [clone .cold]", "row_search_mvcc" },
        { "  signal_hand  ", "signal_hand" },
        // pt-pmp cuts names at the first '>' it meets; what is left still keys as the class.
        { "PolicyMutex<TTASEventMutex<GenericPolicy>", "PolicyMutex" },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Printed_names_key_as_the_catalogue_names_them(string printed, string key) =>
        Assert.Equal(key, FunctionName.Key(printed));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("(anonymous namespace)")]
    [InlineData("<int>")]
    public void Names_that_keep_nothing_have_no_key(string? printed) => Assert.Null(FunctionName.Key(printed));

    [Fact]
    public void Overlong_names_are_not_keyed() =>
        Assert.Null(FunctionName.Key(new string('a', FunctionName.MaxLength + 1)));

    [Fact]
    public void What_the_demangler_prints_for_the_generated_mysqld_keys_to_the_source_name()
    {
        // The mangled names of tests/CoreSleuth.Testing/Images/MysqldImage.cs through the project's demangler.
        Assert.Equal("os_event::wait_time_low", FunctionName.Key(ItaniumDemangler.Demangle("_ZN8os_event13wait_time_lowEml")));
        Assert.Equal("block_until_new_connection", FunctionName.Key(ItaniumDemangler.Demangle("_ZL26block_until_new_connectionv")));
        Assert.Equal("dispatch_command", FunctionName.Key(ItaniumDemangler.Demangle("_Z16dispatch_command19enum_server_commandP3THDPcj")));
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        string[] hostile = ["(((", ")))", "<<<<", ">>>>", "operator", "operator<", "a::(anonymous namespace", "x [clone", ".cold", "\0\u200b(", "f(" + new string('<', 2000)];
        foreach (var s in hostile) _ = FunctionName.Key(s);
    }
}
