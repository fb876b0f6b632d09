import Foundation
import LedgerCore

/// A PostgreSQL ledger location: `postgresql://[user[:password]@][host][:port]/database[?parameters]`.
///
/// The parameters follow libpq's names where they exist: `sslmode` (`disable`, `prefer`, the default, `require`,
/// `verify-ca`, `verify-full`), `sslrootcert` (a PEM file of the certificate authorities to trust), `host` (a
/// folder holding the server's Unix socket, instead of TCP), `connect_timeout` (seconds). Any other parameter is
/// refused rather than ignored. The user defaults to `$PGUSER`, then the login name; the password to `$PGPASSWORD`.
public struct PostgresLocation: Sendable, Equatable {
    /// How the connection uses TLS, as libpq's `sslmode` says.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (certificate not checked), plain otherwise: libpq's default.
        case prefer
        /// TLS or no connection; the certificate is checked against `sslrootcert` when one is given.
        case require
        /// TLS, with a certificate issued by a trusted authority (`sslrootcert`, else the system's).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate names the host.
        case verifyFull = "verify-full"
    }

    /// The role to connect as.
    public var user: String
    /// The password, if the URL or `$PGPASSWORD` gives one; never printed.
    public var password: String?
    /// The server's host name or address (TCP), when no socket folder is given.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The folder of the server's Unix socket (`?host=/run/postgresql`), instead of TCP.
    public var socketDirectory: String?
    /// The database holding the ledger.
    public var database: String
    /// TLS use.
    public var sslMode: SSLMode
    /// A PEM file of trusted certificate authorities.
    public var sslRootCertificate: String?
    /// Seconds to wait for a connection.
    public var connectTimeout: Int

    /// True for a location this store serves: a `postgresql://` or `postgres://` URL.
    public static func isPostgres(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// Parses a location; a malformed one, or one naming no database, is refused with a one-line error (the
    /// password never in it).
    public init(_ location: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(StoreError)
    {
        let shown = Self.displayName(location)
        guard Self.isPostgres(location), let url = URLComponents(string: location) else {
            throw StoreError(
                .unsupportedLocation, "\(shown) is not a PostgreSQL URL (postgresql://user@host:port/database)")
        }
        let path = url.path
        let database = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError(
                .unsupportedLocation, "\(shown) names no database: postgresql://user@host:port/DATABASE")
        }
        self.database = database
        user = url.user ?? environment["PGUSER"] ?? Self.loginName()
        password = url.password ?? environment["PGPASSWORD"]
        host =
            url.host.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
            .flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = url.port ?? 5432
        sslMode = .prefer
        sslRootCertificate = nil
        socketDirectory = nil
        connectTimeout = 10
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw StoreError(
                        .unsupportedLocation,
                        "\(shown): sslmode=\(value) is not one of "
                            + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                sslMode = mode
            case "sslrootcert": sslRootCertificate = value
            case "host":
                guard value.hasPrefix("/") else {
                    throw StoreError(
                        .unsupportedLocation, "\(shown): host= takes the folder of the server's Unix socket")
                }
                socketDirectory = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw StoreError(.unsupportedLocation, "\(shown): connect_timeout takes whole seconds")
                }
                connectTimeout = seconds
            default:
                throw StoreError(
                    .unsupportedLocation,
                    "\(shown): unknown parameter \(item.name) (known: sslmode, sslrootcert, host, connect_timeout)")
            }
        }
        if sslMode == .verifyCA || sslMode == .verifyFull, socketDirectory != nil {
            throw StoreError(.unsupportedLocation, "\(shown): sslmode=\(sslMode.rawValue) needs a TCP host")
        }
    }

    /// The location as it may be printed: a password in it is replaced by `***`.
    public static func displayName(_ location: String) -> String {
        guard var url = URLComponents(string: location) else {
            // Not parseable: print nothing between the scheme and an `@` that might be a password.
            guard let at = location.lastIndex(of: "@"), let scheme = location.range(of: "://") else { return location }
            return String(location[..<scheme.upperBound]) + "***" + String(location[at...])
        }
        if url.password != nil { url.password = "***" }
        return url.string ?? location
    }

    /// This location with the password removed, for messages.
    public var displayName: String {
        let server = socketDirectory.map { "\($0) (socket)" } ?? "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return "postgresql://\(user)@\(server)/\(database)"
    }

    /// The same server and database, connecting as `user` (with no password unless `$PGPASSWORD` gives one).
    public func connecting(as user: String, password: String?) -> PostgresLocation {
        var location = self
        location.user = user
        location.password = password
        return location
    }

    private static func loginName() -> String {
        ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    }
}
