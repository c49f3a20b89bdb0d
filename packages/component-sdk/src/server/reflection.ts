/**
 * gRPC server reflection (v1alpha, which daprd uses for discovery, and v1), hand-rolled so that
 * `list_services` names exactly the services registered on this socket (pitfall 33), never every service
 * of the loaded protos. File requests get descriptors trimmed to this socket's services.
 */
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { descriptorIndex, encodeFile } from './descriptors.js';
import { ServiceName } from './proto.js';

const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;
const INTERNAL = 13;
const COMPONENT_SERVICES: readonly string[] = Object.values(ServiceName).filter((s) => s.startsWith('dapr.'));

/** What one socket's reflection service knows: its services, and descriptors trimmed to them. */
export class ReflectionView {
  private readonly encoded = new Map<string, Buffer>();
  readonly services: readonly string[];
  private readonly componentServices: ReadonlySet<string>;

  constructor(componentServices: readonly string[]) {
    this.services = [...componentServices, ServiceName.ReflectionV1Alpha, ServiceName.ReflectionV1];
    this.componentServices = new Set(componentServices);
  }

  /** The file holding `symbol` plus its transitive dependencies, or undefined when not served here. */
  fileContainingSymbol(symbol: string): Buffer[] | undefined {
    const index = descriptorIndex();
    const fileName = index.symbols.get(symbol);
    if (fileName === undefined || !this.isVisible(symbol)) return undefined;
    return this.withDependencies(fileName);
  }

  fileByName(name: string): Buffer[] | undefined {
    return descriptorIndex().files.has(name) ? this.withDependencies(name) : undefined;
  }

  hasType(symbol: string): boolean {
    return descriptorIndex().symbols.has(symbol);
  }

  /** Services (and their methods) of the component package are visible only when registered here. */
  private isVisible(symbol: string): boolean {
    const owner = COMPONENT_SERVICES.find((s) => symbol === s || symbol.startsWith(`${s}.`));
    return owner === undefined || this.componentServices.has(owner);
  }

  private withDependencies(fileName: string): Buffer[] {
    const { files } = descriptorIndex();
    const ordered: string[] = [];
    const visit = (name: string) => {
      if (ordered.includes(name) || !files.has(name)) return;
      ordered.push(name);
      for (const dep of files.get(name)!.dependency) visit(dep);
    };
    visit(fileName);
    return ordered.map((name) => this.encode(name));
  }

  private encode(name: string): Buffer {
    let bytes = this.encoded.get(name);
    if (bytes === undefined) {
      bytes = encodeFile(descriptorIndex().files.get(name)!, (service) => this.services.includes(service));
      this.encoded.set(name, bytes);
    }
    return bytes;
  }
}

interface ReflectionRequest {
  host: string;
  messageRequest?:
    | 'fileByFilename'
    | 'fileContainingSymbol'
    | 'fileContainingExtension'
    | 'allExtensionNumbersOfType'
    | 'listServices';
  fileByFilename?: string;
  fileContainingSymbol?: string;
  allExtensionNumbersOfType?: string;
  listServices?: string;
}

function answer(view: ReflectionView, request: ReflectionRequest): Record<string, unknown> {
  const base = { validHost: request.host, originalRequest: request };
  const notFound = (what: string) => ({
    ...base,
    errorResponse: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
  });
  const files = (protos: Buffer[] | undefined, what: string) =>
    protos ? { ...base, fileDescriptorResponse: { fileDescriptorProto: protos } } : notFound(what);
  switch (request.messageRequest) {
    case 'listServices':
      return { ...base, listServicesResponse: { service: view.services.map((name) => ({ name })) } };
    case 'fileContainingSymbol':
      return files(
        view.fileContainingSymbol(request.fileContainingSymbol ?? ''),
        `symbol '${request.fileContainingSymbol}'`,
      );
    case 'fileByFilename':
      return files(view.fileByName(request.fileByFilename ?? ''), `file '${request.fileByFilename}'`);
    case 'allExtensionNumbersOfType':
      return view.hasType(request.allExtensionNumbersOfType ?? '')
        ? {
            ...base,
            allExtensionNumbersResponse: { baseTypeName: request.allExtensionNumbersOfType, extensionNumber: [] },
          }
        : notFound(`type '${request.allExtensionNumbersOfType}'`);
    case 'fileContainingExtension':
      return notFound('extension');
    default:
      return { ...base, errorResponse: { errorCode: INVALID_ARGUMENT, errorMessage: 'empty reflection request' } };
  }
}

/** One handler for both reflection versions: their messages are identical. */
export function reflectionService(view: ReflectionView): UntypedServiceImplementation {
  return {
    ServerReflectionInfo: (call: ServerDuplexStream<ReflectionRequest, Record<string, unknown>>) => {
      call.on('data', (request: ReflectionRequest) => {
        let response: Record<string, unknown>;
        try {
          response = answer(view, request);
        } catch (err) {
          response = {
            validHost: request.host,
            errorResponse: { errorCode: INTERNAL, errorMessage: (err as Error).message },
          };
        }
        call.write(response);
      });
      call.on('end', () => call.end());
      call.on('error', () => {
        /* the client went away; nothing to clean up */
      });
    },
  };
}
