"""Skills for routing: granted by achieved milestones and valid certificates, removed when
those end; each agent's current skills, their exports, and the changes pushed to a webhook."""
