"""A JSON API over chat for signed-in users (session authentication).

Identity per request: every call passes request.user explicitly as the acting user. The connection is
django_owner's, a chat server role that may act for anyone, so the view (not the client) picks the user.
Refusals become JSON errors with chat's reason: {"error": "not_member", "sqlstate": "42501", ...}.
"""
import json
from functools import wraps

from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from . import chat


class BadRequest(Exception):
    pass


def api(*methods):
    """Signed-in users only; JSON body in request.data; ChatError -> its status and reason."""
    def decorate(view):
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return JsonResponse({'error': 'not_signed_in'}, status=401)
            try:
                request.data = json.loads(request.body or b'{}') if request.method == 'POST' else {}
                if not isinstance(request.data, dict):
                    raise BadRequest('the body must be a JSON object')
                result = view(request, *args, **kwargs)
            except (BadRequest, ValueError) as e:
                return JsonResponse({'error': 'bad_request', 'message': str(e)}, status=400)
            except chat.ChatError as e:
                # The savepoint of the call was rolled back; the request's transaction is intact.
                return JsonResponse(e.as_json(), status=e.status)
            status = 201 if request.method == 'POST' else 200
            return JsonResponse(result, status=status, safe=False)
        return wrapper
    return decorate


def _int(value, name):
    if value in (None, ''):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest('%s must be an integer' % name)


@api('GET')
def badge(request):
    return chat.badge(request.user)


@api('GET')
def inbox(request):
    rows = chat.inbox(request.user, folder=request.GET.get('folder', 'inbox'),
                      before=request.GET.get('before') or None,
                      page_size=_int(request.GET.get('page_size'), 'page_size'))
    return {'threads': rows, 'next': rows[-1]['cursor'] if rows else None}


@api('POST')
def start_thread(request):
    d = request.data
    thread_id, message_id = chat.new_thread(request.user, d.get('recipients') or [], d.get('subject'),
                                            d.get('content'), attachments=d.get('attachments'))
    return {'thread_id': thread_id, 'message_id': message_id}


@api('GET')
def thread_messages(request, thread_id):
    return {'messages': chat.messages(thread_id, request.user,
                                      before=_int(request.GET.get('before'), 'before'),
                                      after=_int(request.GET.get('after'), 'after'))}


@api('POST')
def reply(request, thread_id):
    d = request.data
    message_id = chat.reply(thread_id, request.user, d.get('content'),
                            parent_id=_int(d.get('parent_id'), 'parent_id'),
                            attachments=d.get('attachments'))
    return {'message_id': message_id}


@api('POST')
def mark_read(request, thread_id):
    return {'read': chat.mark_read(thread_id, request.user)}


@api('POST')
def create_group(request):
    d = request.data
    create = chat.create_channel if d.get('channel') else chat.create_group
    thread_id = create(request.user, d.get('title'), d.get('members') or [],
                      is_public=bool(d.get('is_public')))
    return {'thread_id': thread_id}


@api('GET', 'POST')
def thread_members(request, thread_id):
    if request.method == 'POST':
        return {'added': chat.add_members(thread_id, request.user, request.data.get('users') or [])}
    return {'members': chat.members(thread_id, request.user)}


@api('GET', 'POST')
def message_reactions(request, message_id):
    if request.method == 'POST':
        return {'present': chat.toggle_reaction(message_id, request.user, request.data.get('reaction'))}
    return {'reactions': chat.reactions(message_id, request.user)}
