#pragma once

#include <berth/base/error.hpp>
#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace berth
{

// Result<T> is either a T or an Error, with the std::expected surface
// (has_value, value, error, operator*, operator->). libstdc++ 12 has no
// std::expected, and we want [[nodiscard]] on every fallible call.
template <typename T> class [[nodiscard]] Result
{
    static_assert(!std::is_same_v<std::decay_t<T>, Error>);

public:
    Result(const T& value) : v_(std::in_place_index<0>, value) {}
    Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}
    template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Error> &&
             !std::is_same_v<std::decay_t<U>, Result>) Result(U&& value)
        : v_(std::in_place_index<0>, std::forward<U>(value))
    {
    }
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() &
    {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const&
    {
        assert(has_value());
        return std::get<0>(v_);
    }
    T&& value() &&
    {
        assert(has_value());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <typename U> T value_or(U&& fallback) const&
    {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

    const Error& error() const&
    {
        assert(!has_value());
        return std::get<1>(v_);
    }
    Error&& error() &&
    {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

    // Adds context to the error, if there is one.
    Result&& context(std::string outer) &&
    {
        if (!has_value()) std::get<1>(v_).addContext(std::move(outer));
        return std::move(*this);
    }

private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool has_value() const { return !failed_; }
    explicit operator bool() const { return has_value(); }
    void value() const { assert(has_value()); }

    const Error& error() const&
    {
        assert(!has_value());
        return error_;
    }
    Error&& error() &&
    {
        assert(!has_value());
        return std::move(error_);
    }

    Result&& context(std::string outer) &&
    {
        if (failed_) error_.addContext(std::move(outer));
        return std::move(*this);
    }

private:
    // A plain member and a flag rather than std::optional<Error>: g++ 12
    // reports a false -Wmaybe-uninitialized through optional's storage.
    Error error_;
    bool failed_ = false;
};

inline Result<void> ok()
{
    return {};
}

} // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// BERTH_TRY(decl, expr): evaluates expr (a Result<T>); on error returns the
// error from the enclosing function, else declares `decl` from the value.
//   BERTH_TRY(UniqueFd fd, openFile(path));
#define BERTH_TRY(decl, expr)                                                                      \
    auto BERTH_CONCAT(berth_try_, __LINE__) = (expr);                                              \
    if (!BERTH_CONCAT(berth_try_, __LINE__))                                                       \
        return std::move(BERTH_CONCAT(berth_try_, __LINE__)).error();                              \
    decl = std::move(BERTH_CONCAT(berth_try_, __LINE__)).value()

// BERTH_CHECK(expr): evaluates expr (a Result of anything); on error returns it.
#define BERTH_CHECK(expr)                                                                          \
    do {                                                                                           \
        auto berth_check_result = (expr);                                                          \
        if (!berth_check_result) return std::move(berth_check_result).error();                     \
    } while (0)
