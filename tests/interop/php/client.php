<?php
// Drives the interop scenario with PHP's SoapClient (ext-soap), as PHP integrations do:
// ext-soap knows no WS-Security, so the wsse:Security header is written by hand and
// sent as a SoapHeader holding a SoapVar of XSD_ANYXML, with a fresh Nonce and Created
// on every call.
// stdin: {"wsdl", "username", "password", "password_type": "digest"|"text", "steps": [...]}
// stdout: {label: {"response": ...} | {"fault": {"code", "message"}} | {"error": "..."}}
// (the step format is described in tests/interop/scenario.py)

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

function security_header(string $username, string $password, bool $digest): SoapHeader
{
    $nonce = random_bytes(16);
    $created = gmdate('Y-m-d\TH:i:s\Z');
    $text = $digest ? base64_encode(sha1($nonce . $created . $password, true)) : $password;
    $esc = fn (string $s) => htmlspecialchars($s, ENT_XML1 | ENT_QUOTES, 'UTF-8');
    $xml = '<wsse:Security xmlns:wsse="' . WSSE . '" xmlns:wsu="' . WSU . '"'
        . ' xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" SOAP-ENV:mustUnderstand="1">'
        . '<wsse:UsernameToken>'
        . '<wsse:Username>' . $esc($username) . '</wsse:Username>'
        . '<wsse:Password Type="' . TOKEN_PROFILE . ($digest ? '#PasswordDigest' : '#PasswordText') . '">'
        . $esc($text) . '</wsse:Password>'
        . '<wsse:Nonce EncodingType="' . BASE64 . '">' . base64_encode($nonce) . '</wsse:Nonce>'
        . '<wsu:Created>' . $created . '</wsu:Created>'
        . '</wsse:UsernameToken></wsse:Security>';
    return new SoapHeader(WSSE, 'Security', new SoapVar($xml, XSD_ANYXML), true);
}

// "$Label.Path.To.Value" -> that value of an earlier response.
function resolve($value, array $results)
{
    if (is_array($value)) {
        return array_map(fn ($v) => resolve($v, $results), $value);
    }
    if (is_string($value) && str_starts_with($value, '$')) {
        $path = explode('.', substr($value, 1));
        $found = $results[array_shift($path)]['response'];
        foreach ($path as $key) {
            $found = $found[$key];
        }
        return $found;
    }
    return $value;
}

$request = json_decode(stream_get_contents(STDIN), true, 64, JSON_THROW_ON_ERROR);
$client = new SoapClient($request['wsdl'], [
    'soap_version' => SOAP_1_1,
    'cache_wsdl' => WSDL_CACHE_NONE,
    // a repeating element with one occurrence still comes back as an array
    'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
    'exceptions' => true,
    'connection_timeout' => 10,
    'encoding' => 'UTF-8',
]);
$results = [];
foreach ($request['steps'] as $step) {
    $header = security_header($request['username'], $request['password'], $request['password_type'] === 'digest');
    try {
        $response = $client->__soapCall($step['operation'], [resolve($step['args'], $results)], null, [$header]);
        $results[$step['label']] = ['response' => json_decode(json_encode($response), true)];
    } catch (SoapFault $fault) {
        $results[$step['label']] = ['fault' => ['code' => $fault->faultcode, 'message' => $fault->faultstring]];
    } catch (Throwable $error) {
        $results[$step['label']] = ['error' => (string) $error];
    }
}
echo json_encode($results, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE);
