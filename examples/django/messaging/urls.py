from django.urls import path

from . import views

urlpatterns = [
    path('badge/', views.badge),
    path('inbox/', views.inbox),
    path('threads/', views.start_thread),
    path('threads/<int:thread_id>/messages/', views.thread_messages),
    path('threads/<int:thread_id>/replies/', views.reply),
    path('threads/<int:thread_id>/read/', views.mark_read),
    path('threads/<int:thread_id>/members/', views.thread_members),
    path('groups/', views.create_group),
    path('messages/<int:message_id>/reactions/', views.message_reactions),
]
