// Copyright (c) 2026 cfmail authors. Distributed under the Boost Software License, Version 1.0.
#ifndef CFMAIL_OPERATIONS_SUPPRESSIONS_HPP
#define CFMAIL_OPERATIONS_SUPPRESSIONS_HPP

/// @file operations/suppressions.hpp
/// The suppression list, `/accounts/{account_id}/email/sending/suppressions`: addresses the
/// account will not send to. List (paged by cursor), get, create, edit, delete, bulk import.

#include <cfmail/config.hpp>
#include <cfmail/envelope.hpp>
#include <cfmail/operation.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cfmail {

struct list_suppressions_op;
struct get_suppression_op;
struct create_suppression_op;
struct edit_suppression_op;
struct delete_suppression_op;
struct import_suppressions_op;

/// A suppression that applies to every sending domain of the account.
struct account_scope {
    /// Every account scope is the same.
    friend bool operator==(const account_scope&, const account_scope&) = default;
};

/// A suppression that applies to one sending domain.
struct sending_domain_scope {
    /// The sending domain, e.g. `mail.example.com`.
    std::string domain;
    /// Compares the domains.
    friend bool operator==(const sending_domain_scope&, const sending_domain_scope&) = default;
};

/// Where a suppression applies: the whole account, or one sending domain.
using suppression_scope = std::variant<account_scope, sending_domain_scope>;

/// An entry of the suppression list, as the API returns it.
struct suppression {
    /// The API's id of the entry.
    std::string id;
    /// The suppressed address.
    std::string email;
    /// Why: `manual`, `complaint`, `hard_bounce`, `soft_bounce`, `policy`, or a reason a later
    /// API version added (kept as text).
    std::string reason;
    /// When it was created, as the API wrote it (RFC 3339).
    std::string created_at;
    /// When it lapses, as the API wrote it; empty for a permanent one.
    std::optional<std::string> expires_at;
    /// Set by the API for entries that cannot be edited or deleted.
    bool read_only = false;
    /// A note, when there is one.
    std::optional<std::string> note;
    /// Where it applies.
    suppression_scope scope;

    /// Compares every field.
    friend bool operator==(const suppression&, const suppression&) = default;
};

/// The id (and scope) the API returns for a created or deleted suppression.
struct suppression_ref {
    /// The entry's id.
    std::string id;
    /// Its scope, when the API returned it.
    std::optional<suppression_scope> scope;
    /// Compares every field.
    friend bool operator==(const suppression_ref&, const suppression_ref&) = default;
};

/// One page of the suppression list, and the envelope's `result_info`.
struct suppression_page {
    /// The entries of this page (a page may be short before the end).
    std::vector<suppression> items;
    /// The envelope's `result_info`, when present.
    std::optional<cfmail::result_info> info;

    /// The cursor of the next page; empty on the last page.
    std::string_view next_cursor() const noexcept {
        return info && info->cursor ? std::string_view(*info->cursor) : std::string_view();
    }
    /// Compares every field.
    friend bool operator==(const suppression_page&, const suppression_page&) = default;
};

/// `GET /suppressions`: one page, with optional filters.
struct list_suppressions_request {
    /// The operation's descriptor.
    using operation = list_suppressions_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// Page size; the API's default when empty.
    std::optional<unsigned> per_page;
    /// The page to read: empty for the first, then suppression_page::next_cursor().
    std::string cursor;
    /// Only this exact address.
    std::string email;
    /// Only this reason (e.g. `hard_bounce`).
    std::string reason;
    /// Only this scope.
    std::optional<suppression_scope> scope;
    /// An address, or `user@` for that user on every domain.
    std::string search;
};

/// `GET /suppressions/{suppression_id}`.
struct get_suppression_request {
    /// The operation's descriptor.
    using operation = get_suppression_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// The entry's id.
    std::string suppression_id;
};

/// `POST /suppressions`: suppresses an address. Creating one that exists returns its id.
struct create_suppression_request {
    /// The operation's descriptor.
    using operation = create_suppression_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// The address to suppress.
    std::string email;
    /// When it lapses (RFC 3339); permanent when empty.
    std::optional<std::string> expires_at;
    /// A note, when wanted.
    std::optional<std::string> note;
    /// Where it applies; the whole account by default.
    suppression_scope scope;
};

/// `PATCH /suppressions/{suppression_id}`: changes the expiry or the note. The scope of an
/// entry cannot change.
struct edit_suppression_request {
    /// The operation's descriptor.
    using operation = edit_suppression_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// The entry's id.
    std::string suppression_id;
    /// Unchanged when empty; an empty inner value makes the entry permanent.
    std::optional<std::optional<std::string>> expires_at;
    /// Unchanged when empty; an empty string clears the note.
    std::optional<std::string> note;
};

/// `DELETE /suppressions/{suppression_id}`.
struct delete_suppression_request {
    /// The operation's descriptor.
    using operation = delete_suppression_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// The entry's id.
    std::string suppression_id;
};

/// One entry of a bulk import.
struct import_item {
    /// The address to suppress.
    std::string email;
    /// Where it applies; the API's default (the account) when empty.
    std::optional<suppression_scope> scope;
    /// When it lapses (RFC 3339); permanent when empty.
    std::optional<std::string> expires_at;
    /// A note, when wanted.
    std::optional<std::string> note;
};

/// `POST /suppressions/bulk`: 1 to 1,000 entries at once (at most 10 requests a minute).
struct import_suppressions_request {
    /// The operation's descriptor.
    using operation = import_suppressions_op;
    /// The Cloudflare account id.
    std::string account_id;
    /// The entries.
    std::vector<import_item> items;
};

/// What became of one entry of a bulk import.
struct import_item_result {
    /// Its position in the request.
    std::int64_t index = 0;
    /// `processed`, `invalid`, `error`, `skipped`, or a status a later API version added.
    std::string status;
    /// The entry's id, when one was created or found.
    std::optional<std::string> id;
    /// The address, when the API echoed it.
    std::optional<std::string> email;
    /// Why it was not processed.
    std::optional<std::string> error;
    /// Its scope, when the API returned it.
    std::optional<suppression_scope> scope;
    /// Compares every field.
    friend bool operator==(const import_item_result&, const import_item_result&) = default;
};

/// The result of a bulk import.
struct import_result {
    /// Entries in the request.
    std::int64_t total = 0;
    /// Entries created or updated.
    std::int64_t processed = 0;
    /// Entries refused as invalid.
    std::int64_t invalid = 0;
    /// Entries that failed.
    std::int64_t errors = 0;
    /// Entries left as they were.
    std::int64_t skipped = 0;
    /// Repeats of an earlier entry of the same request.
    std::int64_t deduplicated = 0;
    /// What became of each entry.
    std::vector<import_item_result> items;
    /// Compares every field.
    friend bool operator==(const import_result&, const import_result&) = default;
};

/// The most entries one bulk import takes.
inline constexpr std::size_t max_import_items = 1000;

/// Reads a suppression; false on a wrong shape. Unknown fields are ignored.
CFMAIL_DECL bool read_result(const boost::json::value& jv, suppression& out);
/// Reads `{id, scope?}`.
CFMAIL_DECL bool read_result(const boost::json::value& jv, suppression_ref& out);
/// Reads a bulk import's result.
CFMAIL_DECL bool read_result(const boost::json::value& jv, import_result& out);

/// Writes a scope as the API does: `{"type":"account"}` or
/// `{"type":"sending_domain","value":...}`.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_scope& scope);
/// Writes a suppression as the API does.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression& s);
/// Writes `{id, scope?}`.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_ref& r);
/// Writes a page's items as the API's `result` array (result_info travels beside it).
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const suppression_page& page);
/// Writes a bulk import's result as the API does.
CFMAIL_DECL void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                            const import_result& r);

/// The common part of the suppression descriptors.
struct suppression_op_base {
    /// GET, DELETE and these writes are safe to repeat by the API's own rules.
    static constexpr repeat_safety repeat = repeat_safety::safe;
};

/// `GET /suppressions`. Idempotent.
struct list_suppressions_op : suppression_op_base {
    using request_type = list_suppressions_request;               ///< What it takes.
    using result_type = suppression_page;                         ///< What it gives back.
    static constexpr std::string_view name = "list_suppressions"; ///< Its name.
    static constexpr std::string_view method = "GET";             ///< Its method.
    /// Checks the filters and writes the query.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
    /// Reads the array of entries and keeps `result_info`.
    CFMAIL_DECL static bool read(const boost::json::value& result,
                                 const std::optional<result_info>& info, result_type& out);
};

/// `GET /suppressions/{id}`. Idempotent.
struct get_suppression_op : suppression_op_base, reads_result<suppression> {
    using request_type = get_suppression_request;               ///< What it takes.
    using result_type = suppression;                            ///< What it gives back.
    static constexpr std::string_view name = "get_suppression"; ///< Its name.
    static constexpr std::string_view method = "GET";           ///< Its method.
    /// Checks the id and writes the path.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

/// `POST /suppressions`. Creating an existing entry returns its id: safe to repeat.
struct create_suppression_op : suppression_op_base, reads_result<suppression_ref> {
    using request_type = create_suppression_request;               ///< What it takes.
    using result_type = suppression_ref;                           ///< What it gives back.
    static constexpr std::string_view name = "create_suppression"; ///< Its name.
    static constexpr std::string_view method = "POST";             ///< Its method.
    /// Checks the address, note and scope and writes the body.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

/// `PATCH /suppressions/{id}`. The same body twice gives the same entry: safe to repeat.
struct edit_suppression_op : suppression_op_base, reads_result<suppression> {
    using request_type = edit_suppression_request;               ///< What it takes.
    using result_type = suppression;                             ///< What it gives back.
    static constexpr std::string_view name = "edit_suppression"; ///< Its name.
    static constexpr std::string_view method = "PATCH";          ///< Its method.
    /// Checks the id and writes the changed fields.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

/// `DELETE /suppressions/{id}`. Idempotent.
struct delete_suppression_op : suppression_op_base, reads_result<suppression_ref> {
    using request_type = delete_suppression_request;               ///< What it takes.
    using result_type = suppression_ref;                           ///< What it gives back.
    static constexpr std::string_view name = "delete_suppression"; ///< Its name.
    static constexpr std::string_view method = "DELETE";           ///< Its method.
    /// Checks the id and writes the path.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

/// `POST /suppressions/bulk`. The same entries twice give the same list: safe to repeat (a 429
/// past the 10-a-minute limit is waited out as for sends).
struct import_suppressions_op : suppression_op_base, reads_result<import_result> {
    using request_type = import_suppressions_request;               ///< What it takes.
    using result_type = import_result;                              ///< What it gives back.
    static constexpr std::string_view name = "import_suppressions"; ///< Its name.
    static constexpr std::string_view method = "POST";              ///< Its method.
    /// Checks 1 to 1,000 entries and writes the body.
    CFMAIL_DECL static boost::system::error_code prepare(const request_type& req,
                                                         const client_options& opts,
                                                         request_parts& parts, std::string& why);
};

} // namespace cfmail

#ifdef CFMAIL_HEADER_ONLY
#include <cfmail/impl/suppressions.ipp>
#endif

#endif
