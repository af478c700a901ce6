#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// posix_spawn's file actions and attributes, whose Swift types differ between Linux and macOS.
#if canImport(Darwin)
public typealias SpawnFileActions = posix_spawn_file_actions_t?
public typealias SpawnAttributes = posix_spawnattr_t?
#else
public typealias SpawnFileActions = posix_spawn_file_actions_t
public typealias SpawnAttributes = posix_spawnattr_t
#endif

/// Starts a program with this process's environment: what the places that run one (an agent
/// helper, a credential_process) need of `Process`, which lives in full Foundation and so is not
/// in the Linux release binary. Returns the child's pid, or posix_spawn's error number.
/// - Parameter arguments: the whole argv, argv[0] included.
public func spawnProgram(_ executable: String, arguments: [String], actions: UnsafePointer<SpawnFileActions>,
                         attributes: UnsafePointer<SpawnAttributes>?) -> Result<pid_t, SpawnError> {
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { (argument: String) in strdup(argument) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    #if canImport(Darwin)
    let environment = _NSGetEnviron().pointee
    #else
    let environment = environ
    #endif
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, actions, attributes, argv, environment)
    return result == 0 ? .success(pid) : .failure(SpawnError(code: result))
}

/// posix_spawn's error number.
public struct SpawnError: Error, Sendable {
    public let code: Int32
}
